<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{page_title}}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{assets['style.css']}}">
<link rel="search" type="application/opensearchdescription+xml" href="/opensearch.xml" title="News Search">
% if get('feed_href'):
<link rel="alternate" type="application/atom+xml" href="{{feed_href}}" title="This search's newest results (Atom)">
% end
<script src="{{assets['page.js']}}" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to the content</a>
<header class="site-header">
<p class="brand"><a href="/">News Search</a></p>
</header>
<div class="page">
{{!base}}
</div>
<footer class="site-footer">
<p>Paragraphs of a news archive, searched by word, date and place. Scripts can use the
<a href="/api/openapi.json">JSON API</a>.</p>
</footer>
</body>
</html>
