% rebase('base', page_title=page_title, assets=assets, feed_href=results['feed_href'] if results else None)
% field = error['field'] if error else None
% def invalid(name, described=''):
%   ids = (described + ' ' + name + '-error').strip() if field == name else described
%   return (' aria-invalid="true"' if field == name else '') + (' aria-describedby="' + ids + '"' if ids else '')
% end
<form id="search" class="search-form" role="search" action="/" method="get" aria-label="Search the archive">
<div class="field field-q">
<label for="q">Words to find</label>
<div class="q-row">
<input id="q" name="q" type="search" value="{{q}}" maxlength="1000" autocomplete="off" spellcheck="false" aria-keyshortcuts="/"{{!invalid('q', 'q-hint')}}>
<button type="submit">Search</button>
</div>
<p id="q-hint" class="hint">Every word is required; put a phrase in "quotes". Press / to come back here.</p>
% if field == 'q':
<p id="q-error" class="field-error">{{error['message']}}</p>
% end
</div>
<details class="options"{{!' open' if field not in (None, 'q') else ''}}>
<summary>Dates, places and options{{' (%d in use)' % in_use if in_use else ''}}</summary>
<div class="option-grid">
<div class="field">
<label for="from">From</label>
<input id="from" name="from" type="text" value="{{from_}}" placeholder="YYYY-MM-DD" autocomplete="off"{{!invalid('from', 'dates-hint')}}>
% if field == 'from':
<p id="from-error" class="field-error">{{error['message']}}</p>
% end
</div>
<div class="field">
<label for="to">To</label>
<input id="to" name="to" type="text" value="{{to}}" placeholder="YYYY-MM-DD" autocomplete="off"{{!invalid('to', 'dates-hint')}}>
% if field == 'to':
<p id="to-error" class="field-error">{{error['message']}}</p>
% end
</div>
<p id="dates-hint" class="hint dates-hint">A year, a month or a day: 1987, 1987-03 or 1987-03-02.</p>
<div class="field field-place">
<label for="place">Place</label>
<input id="place" name="place" type="text" value="" list="place-options" autocomplete="off"{{!invalid('place', 'place-hint')}}>
<datalist id="place-options"></datalist>
<p id="place-hint" class="hint">A city, region or country; a country includes its cities.</p>
% if field == 'place':
<p id="place-error" class="field-error">{{error['message']}}</p>
% end
% if places:
<fieldset class="active-places">
<legend>Filtering on (any of)</legend>
% for i, place in enumerate(places):
<label class="check"><input type="checkbox" name="place" value="{{place['value']}}" checked> {{place['label']}}</label>
% end
</fieldset>
% end
</div>
<div class="field">
<label for="sort">Order</label>
<select id="sort" name="sort"{{!invalid('sort')}}>
% for value, label in (('relevance', 'Best match first'), ('newest', 'Newest first'), ('oldest', 'Oldest first')):
<option value="{{value}}"{{!' selected' if sort == value else ''}}>{{label}}</option>
% end
</select>
% if field == 'sort':
<p id="sort-error" class="field-error">{{error['message']}}</p>
% end
</div>
<fieldset class="checks">
<legend>Options</legend>
<label class="check"><input type="checkbox" name="match" value="any"{{!' checked' if match_any else ''}}{{!invalid('match')}}> Any of the words, best first</label>
<label class="check"><input type="checkbox" name="group" value="paragraph"{{!' checked' if group_paragraph else ''}}{{!invalid('group')}}> Every matching paragraph as its own result</label>
<label class="check"><input type="checkbox" name="collapse" value="none"{{!' checked' if every_copy else ''}}{{!invalid('collapse')}}> Every copy of a story (syndicated and repeated texts) as its own result</label>
<label class="check"><input type="checkbox" name="mode" value="advanced"{{!' checked' if advanced else ''}}{{!invalid('mode')}}> Advanced syntax: AND, OR, NOT, title:, prefix*, word~</label>
<label class="check"><input type="checkbox" name="expand" value="true"{{!' checked' if expand else ''}}{{!invalid('expand')}}> Include related words</label>
% for name in ('match', 'group', 'mode', 'expand'):
% if field == name:
<p id="{{name}}-error" class="field-error">{{error['message']}}</p>
% end
% end
</fieldset>
</div>
<p class="apply"><button type="submit">Apply</button></p>
</details>
% for name, value in hidden:
<input type="hidden" name="{{name}}" value="{{value}}">
% end
</form>
<main id="main" class="results-page">
% if error:
<div class="error-summary" role="alert">
<h1>The search could not run</h1>
<p>{{error['message']}}</p>
% if field:
<p><a href="#{{field if field in ('q', 'from', 'to', 'place', 'sort') else 'search'}}">Go to the field to correct it</a></p>
% end
</div>
% elif results is None and get('home'):
% include('home', home=home)
% elif results is None:
<h1>Search the news archive</h1>
<p class="intro">{{'{:,}'.format(archive['articles'] or 0)}} articles in {{'{:,}'.format(archive['paragraphs'] or 0)}} paragraphs.
Type a few words; narrow by date or place; open an article at the paragraph that matched.</p>
% else:
<h1 class="results-title">{{('Results for “' + q + '”') if q else 'Browsing the archive'}}</h1>
<p class="summary" role="status">
% unit = results['unit'] + ('' if results['total'] == 1 else 's')
{{'{:,}'.format(results['total'])}} {{unit}}
% if results['hits']:
· {{results['first']}}–{{results['last']}} shown
% elif results['past_end']:
· none on this page
% end
· {{results['took_ms']}} ms
<a class="to-refine" href="#refine">Refine</a>
% if results['trends_href']:
<a class="to-trends" href="{{results['trends_href']}}">Compare over time</a>
% end
% if results['downloads']:
<span class="downloads">Download these results (<a href="{{results['downloads'][0]['href']}}" download>{{results['downloads'][0]['label']}}</a> / <a href="{{results['downloads'][1]['href']}}" download>{{results['downloads'][1]['label']}}</a>)</span>
% end
</p>
% if results['chips']:
<ul class="chips" aria-label="Active filters">
% for chip in results['chips']:
<li><a class="chip" href="{{chip['href']}}"><span class="chip-kind">{{chip['kind']}}:</span> {{chip['label']}} <span aria-hidden="true">×</span><span class="visually-hidden"> (remove this filter)</span></a></li>
% end
</ul>
% end
% if results['suggestion']:
<p class="notice suggestion">Did you mean <a href="{{results['suggestion']['href']}}">{{results['suggestion']['text']}}</a>?</p>
% end
% if results['relaxed']:
<p class="notice relaxed">No {{results['unit']}} holds every word, so these hold some of them.</p>
% end
% if results['timed_out']:
<p class="notice timed-out">The search took too long and shows what it found in time; add words or filters to narrow it.</p>
% end
% if results['notice']:
<p class="notice">{{results['notice']}}</p>
% end
% if results['hits']:
<ol class="hits" start="{{results['first']}}">
% for hit in results['hits']:
<li class="hit">
<h2 class="hit-title"><a href="{{hit['href']}}"{{!' class="lead-title"' if hit['title_is_lead'] else ''}}>{{!hit['title_html']}}</a></h2>
<p class="hit-meta">
% if hit['date']:
<time datetime="{{hit['date']}}">{{hit['date_text']}}</time>
% else:
<span>Undated</span>
% end
% if hit['author']:
· <span class="author">{{hit['author']}}</span>
% end
</p>
<p class="snippet">{{!hit['snippet']}}</p>
% if hit['more']:
<p class="more"><a href="{{hit['more']['href']}}">{{hit['more']['label']}}<span class="visually-hidden"> in this article</span></a></p>
% end
% if hit['copies']:
<details class="copies">
<summary>{{hit['copies']['label']}}</summary>
<ul>
% for story in hit['copies']['stories']:
<li><a href="{{story['href']}}">{{story['title']}}</a>{{' · ' + story['date_text'] if story['date'] else ''}}</li>
% end
% if hit['copies']['unlisted']:
<li>and {{'{:,}'.format(hit['copies']['unlisted'])}} more</li>
% end
</ul>
</details>
% end
% if hit['places']:
<ul class="place-links" aria-label="Places: add as a filter">
% for place in hit['places']:
% if place['href']:
<li><a href="{{place['href']}}">{{place['name']}}</a></li>
% else:
<li><span class="filtered">{{place['name']}}</span></li>
% end
% end
</ul>
% end
</li>
% end
</ol>
% elif results['past_end']:
% past = results['past_end']
<div class="empty past-end">
% if past['last']:
<h2>Page {{past['page']}} is past the last page</h2>
<p>The last page of these {{'{:,}'.format(results['total'])}} {{unit}} is page {{past['last']}}.</p>
<ul>
<li><a href="{{past['last_href']}}">Go to the last page ({{past['last']}})</a></li>
<li><a href="{{past['first_href']}}">Go to the first page</a></li>
</ul>
% else:
<h2>Counts only</h2>
<p>This page asks for no results (page_size=0); the counts are in the summary and under Refine.</p>
<ul><li><a href="{{past['first_href']}}">Show the results</a></li></ul>
% end
</div>
% else:
<div class="empty">
<h2>Nothing to show</h2>
% if results['empty']:
<p>No {{results['unit']}} matches this search. Check the spelling, use fewer or other words, or try one of these:</p>
<ul>
% for way in results['empty']:
<li><a href="{{way['href']}}">{{way['text']}}</a></li>
% end
</ul>
% else:
<p>No {{results['unit']}} matches this search. Check the spelling, or use fewer or other words.</p>
% end
</div>
% end
% if results['pages']:
<nav class="pages" aria-label="Pages of results">
<ul>
% for link in results['pages']:
% page_word = '<span class="visually-hidden">Page </span>' if link['numbered'] else ''
% if link['current']:
<li><span class="current" aria-current="page">{{!page_word}}{{link['label']}}</span></li>
% else:
<li><a href="{{link['href']}}"{{!(' rel="' + link['rel'] + '"') if link['rel'] else ''}}>{{!page_word}}{{link['label']}}</a></li>
% end
% end
</ul>
</nav>
% end
% end
</main>
% if results and (results['timeline'] or results['places'] or results['countries'] or results['about']):
<aside id="refine" class="refine" aria-labelledby="refine-heading">
<h2 id="refine-heading">Refine</h2>
% if results['about']:
<section class="facet about" aria-labelledby="about-heading">
<h3 id="about-heading">What these results are about</h3>
<ul>
% for row in results['about']:
<li><a href="{{row['href']}}"><span class="visually-hidden">Add </span>{{row['word']}}<span class="visually-hidden"> to the search</span></a></li>
% end
</ul>
</section>
% end
% if results['map']:
% include('map', m=results['map'], key='map', level=3)
% end
% timeline = results['timeline']
% if timeline:
<section class="timeline" aria-labelledby="timeline-heading">
<h3 id="timeline-heading">{{results['unit'].capitalize()}}s per {{timeline['unit']}}</h3>
<svg class="timeline-chart" viewBox="0 0 {{timeline['width']}} {{timeline['height']}}" preserveAspectRatio="none" aria-labelledby="timeline-heading">
% for bar in timeline['bars']:
% if bar['href']:
<a href="{{bar['href']}}" aria-label="{{bar['label']}}: {{bar['count']}}"><title>{{bar['label']}}: {{bar['count']}}</title><rect class="slot" x="{{bar['slot_x']}}" y="0" width="10" height="{{timeline['height']}}"></rect><rect class="bar" x="{{bar['x']}}" y="{{bar['y']}}" width="8" height="{{bar['height']}}"></rect></a>
% else:
<rect class="bar-empty" x="{{bar['x']}}" y="{{timeline['height'] - 1}}" width="8" height="1"></rect>
% end
% end
</svg>
<p class="axis"><span>{{timeline['first']}}</span><span>{{timeline['last']}}</span></p>
<details class="timeline-table">
<summary>The {{timeline['unit']}}s as a table</summary>
<table>
<thead><tr><th scope="col">{{timeline['unit'].capitalize()}}</th><th scope="col" class="num">{{results['unit'].capitalize()}}s</th></tr></thead>
<tbody>
% for bar in timeline['bars']:
<tr><td>
% if bar['href']:
<a href="{{bar['href']}}">{{bar['label']}}</a>
% else:
{{bar['label']}}
% end
</td><td class="num">{{'{:,}'.format(bar['count'])}}</td></tr>
% end
</tbody>
</table>
</details>
</section>
% end
% for key, heading in (('places', 'Places'), ('countries', 'Countries')):
% if results[key]:
<section class="facet" aria-labelledby="facet-{{key}}">
<h3 id="facet-{{key}}">{{heading}}</h3>
<ul>
% for row in results[key]:
% if row['active']:
<li class="active"><span>{{row['label']}}</span> <span class="count">{{'{:,}'.format(row['count'])}}<span class="visually-hidden"> (filtering on it)</span></span></li>
% else:
<li><a href="{{row['href']}}">{{row['label']}}</a> <span class="count">{{'{:,}'.format(row['count'])}}</span></li>
% end
% end
</ul>
</section>
% end
% end
</aside>
% end
