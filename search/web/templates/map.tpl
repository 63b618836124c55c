% # The world map of a search's places (search/web/worldmap.py): `m` the map, `key` the ids' prefix, `level` the heading's.
% # Path data and class names are written as they are: Outlines.load refuses any path that is not plain path data, and the classes are worldmap.py's own.
% unit = m['unit'].capitalize() + 's'
<section class="map" aria-labelledby="{{key}}-heading">
<h{{level}} id="{{key}}-heading">{{unit}} by place{{' (the region of the results)' if m['zoomed'] else ''}}</h{{level}}>
<svg class="map-chart" viewBox="{{m['view']}}" aria-labelledby="{{key}}-heading" aria-describedby="{{key}}-legend">
% for shape in m['shapes']:
% if shape['href']:
<a href="{{shape['href']}}" aria-label="{{shape['text']}}"><title>{{shape['text']}}</title><path class="{{!shape['cls']}}" d="{{!shape['d']}}"></path></a>
% elif shape['text']:
<path class="{{!shape['cls']}}" d="{{!shape['d']}}"><title>{{shape['text']}}</title></path>
% else:
<path class="{{!shape['cls']}}" d="{{!shape['d']}}"></path>
% end
% end
% for point in m['points']:
% if point['href']:
<a href="{{point['href']}}" aria-label="{{point['text']}}"><title>{{point['text']}}</title><circle class="{{point['cls']}}" cx="{{point['cx']}}" cy="{{point['cy']}}" r="{{point['r']}}"></circle></a>
% else:
<circle class="{{point['cls']}}" cx="{{point['cx']}}" cy="{{point['cy']}}" r="{{point['r']}}"><title>{{point['text']}}</title></circle>
% end
% end
</svg>
<ul id="{{key}}-legend" class="map-legend" aria-label="Legend">
% for step in m['legend']:
<li><span class="map-swatch {{step['cls']}}"></span> {{step['text']}}</li>
% end
% if m['has_points']:
<li><span class="map-swatch map-swatch-point"></span> a city or region, larger for more</li>
% end
</ul>
<details class="map-table">
<summary>The places on the map as a table</summary>
<table>
<thead><tr><th scope="col">Place</th><th scope="col">Kind</th><th scope="col" class="num">{{unit}}</th></tr></thead>
<tbody>
% for row in m['rows']:
<tr><td>
% if row['href']:
<a href="{{row['href']}}">{{row['label']}}</a>
% else:
{{row['label']}}<span class="visually-hidden"> (filtering on it)</span>
% end
</td><td>{{row['kind']}}</td><td class="num">{{'{:,}'.format(row['count'])}}</td></tr>
% end
</tbody>
</table>
</details>
</section>
