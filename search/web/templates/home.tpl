% # The front page's account of the archive (search/web/home.py), inside the search page's main.
<h1>Search the news archive</h1>
% span = (', from ' + home['first'] + ' to ' + home['last']) if home['first'] and home['first'] != home['last'] else ((', ' + home['first']) if home['first'] else '')
<p class="intro">{{'{:,}'.format(home['articles'])}} articles in {{'{:,}'.format(home['paragraphs'])}} paragraphs{{span}}.
Type a few words; narrow by date or place; open an article at the paragraph that matched.</p>
% if home['examples']:
<section class="home-examples" aria-labelledby="examples-heading">
<h2 id="examples-heading">Try</h2>
<ul class="home-list">
% for example in home['examples']:
<li><a href="{{example['href']}}">{{example['text']}}</a> <span class="count">{{'{:,}'.format(example['count'])}} articles</span></li>
% end
</ul>
</section>
% end
% timeline = home['timeline']
% if timeline:
<section class="timeline home-timeline" aria-labelledby="home-timeline-heading">
<h2 id="home-timeline-heading">Articles per {{timeline['unit']}}</h2>
<svg class="timeline-chart" viewBox="0 0 {{timeline['width']}} {{timeline['height']}}" preserveAspectRatio="none" aria-labelledby="home-timeline-heading">
% for bar in timeline['bars']:
% if bar['href']:
<a href="{{bar['href']}}" aria-label="{{bar['label']}}: {{bar['count']}}"><title>{{bar['label']}}: {{bar['count']}}</title><rect class="slot" x="{{bar['slot_x']}}" y="0" width="10" height="{{timeline['height']}}"></rect><rect class="bar" x="{{bar['x']}}" y="{{bar['y']}}" width="8" height="{{bar['height']}}"></rect></a>
% else:
<rect class="bar-empty" x="{{bar['x']}}" y="{{timeline['height'] - 1}}" width="8" height="1"></rect>
% end
% end
</svg>
<p class="axis"><span>{{timeline['first']}}</span><span>{{timeline['last']}}</span></p>
</section>
% end
% if home['map']:
% include('map', m=home['map'], key='home-map', level=2)
% end
% if home['newest']:
<section class="home-newest" aria-labelledby="newest-heading">
<h2 id="newest-heading">Newest stories</h2>
<ul class="home-list">
% for story in home['newest']:
<li><a href="{{story['href']}}">{{story['title']}}</a>
<span class="meta">{{story['date_text']}}{{(' · ' + ', '.join(story['places'])) if story['places'] else ''}}</span></li>
% end
</ul>
</section>
% end
% for key, heading in (('places', 'Places most in the news'), ('countries', 'Countries most in the news')):
% if home[key]:
<section class="facet home-facet" aria-labelledby="home-{{key}}-heading">
<h2 id="home-{{key}}-heading">{{heading}}</h2>
<ul>
% for row in home[key]:
<li><a href="{{row['href']}}">{{row['label']}}</a> <span class="count">{{'{:,}'.format(row['count'])}}</span></li>
% end
</ul>
</section>
% end
% end
