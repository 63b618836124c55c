% rebase('base', page_title=page_title, assets=assets)
% field = error['param'] if error else None
<main id="main" class="trends-page">
<h1>Compare over time</h1>
<form class="trends-form" action="/trends" method="get" aria-label="Queries to compare">
<fieldset class="trends-queries">
<legend>Up to five searches, each a line</legend>
% for i, value in enumerate(queries):
<div class="field">
<label for="q{{i + 1}}">Search {{i + 1}}</label>
<input id="q{{i + 1}}" name="q" type="search" value="{{value}}" maxlength="1000" autocomplete="off" spellcheck="false"{{!' aria-invalid="true" aria-describedby="trends-error"' if field == 'q' and i == 0 else ''}}>
</div>
% end
</fieldset>
<div class="option-grid">
<div class="field">
<label for="from">From</label>
<input id="from" name="from" type="text" value="{{from_}}" placeholder="YYYY-MM-DD" autocomplete="off"{{!' aria-invalid="true" aria-describedby="trends-error"' if field == 'from' else ''}}>
</div>
<div class="field">
<label for="to">To</label>
<input id="to" name="to" type="text" value="{{to}}" placeholder="YYYY-MM-DD" autocomplete="off"{{!' aria-invalid="true" aria-describedby="trends-error"' if field == 'to' else ''}}>
</div>
<div class="field">
<label for="interval">Per</label>
<select id="interval" name="interval"{{!' aria-invalid="true" aria-describedby="trends-error"' if field == 'interval' else ''}}>
% for value, label in (('', 'Chosen from the dates'), ('day', 'Day'), ('month', 'Month'), ('year', 'Year')):
<option value="{{value}}"{{!' selected' if interval == value else ''}}>{{label}}</option>
% end
</select>
</div>
<fieldset class="checks">
<legend>Count</legend>
<label class="check"><input type="checkbox" name="group" value="paragraph"{{!' checked' if paragraphs else ''}}> Every matching paragraph, not stories</label>
</fieldset>
</div>
% for name, value in hidden:
<input type="hidden" name="{{name}}" value="{{value}}">
% end
<p class="apply"><button type="submit">Compare</button></p>
</form>
% if error:
<div class="error-summary" role="alert" id="trends-error">
<h2>The comparison could not run</h2>
<p>{{error['message']}}</p>
</div>
% elif chart is None:
<p class="intro">Give one to five searches to see how often the archive speaks of each, month by
month, as a share of everything it holds then. Each point opens that search for its period.</p>
% else:
<section class="trends" aria-labelledby="chart-heading">
<h2 id="chart-heading">{{'Share of all ' + chart['unit'] + 's' if chart['measure'] == 'share' else 'Matching ' + chart['unit'] + 's'}} per {{chart['interval']}}</h2>
<p class="trends-toggle">Show:
% for option in chart['toggle']:
% if option['current']:
<strong aria-current="true">{{option['label']}}</strong>
% else:
<a href="{{option['href']}}">{{option['label']}}</a>
% end
% end
</p>
<ul class="trends-legend" aria-label="Legend">
% for line in chart['lines']:
<li><svg width="28" height="10" viewBox="0 0 28 10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke="{{line['colour']}}" stroke-width="3" stroke-dasharray="{{line['dash']}}"></line></svg> {{line['q']}} <span class="count">({{'{:,}'.format(line['count'])}} {{chart['unit']}}s{{', cut short: the search took too long' if line['timed_out'] else ''}})</span></li>
% end
</ul>
<svg class="trends-chart" viewBox="0 0 {{chart['width']}} {{chart['height']}}" width="100%" aria-labelledby="chart-heading">
% for row in chart['grid']:
<line x1="{{chart['left']}}" y1="{{row['y']}}" x2="{{chart['right']}}" y2="{{row['y']}}" stroke="#d5dbe1" stroke-width="1"></line>
<text x="{{chart['left'] - 6}}" y="{{row['y'] + 4}}" text-anchor="end" font-size="11" fill="#4a5560">{{row['label']}}</text>
% end
% for tick in chart['ticks']:
<text x="{{tick['x']}}" y="{{chart['height'] - 8}}" text-anchor="{{tick['anchor']}}" font-size="11" fill="#4a5560">{{tick['label']}}</text>
% end
% for line in chart['lines']:
<polyline points="{{line['points']}}" fill="none" stroke="{{line['colour']}}" stroke-width="2" stroke-dasharray="{{line['dash']}}"></polyline>
% for mark in line['marks']:
<a href="{{mark['href']}}" aria-label="{{mark['label']}}"><title>{{mark['label']}}</title><circle cx="{{mark['x']}}" cy="{{mark['y']}}" r="4" fill="{{line['colour']}}"></circle></a>
% end
% end
</svg>
<table class="trends-table">
<caption>The chart's numbers: matching {{chart['unit']}}s per {{chart['interval']}} (share of all {{chart['unit']}}s then)</caption>
<thead><tr><th scope="col">{{chart['table']['heading']}}</th>
% for q in chart['table']['queries']:
<th scope="col" class="num">{{q}}</th>
% end
<th scope="col" class="num">{{chart['table']['total_heading']}}</th></tr></thead>
<tbody>
% for row in chart['table']['rows']:
<tr><th scope="row">{{row['label']}}</th>
% for cell in row['cells']:
<td class="num">
% if cell['href']:
<a href="{{cell['href']}}">{{cell['count']}}</a>
% else:
{{cell['count']}}
% end
<span class="count">({{cell['share']}})</span></td>
% end
<td class="num">{{row['total']}}</td></tr>
% end
</tbody>
</table>
</section>
% end
</main>
