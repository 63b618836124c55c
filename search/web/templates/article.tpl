% rebase('base', page_title=page_title, assets=assets)
<main id="main" class="article-page">
<p class="back"><a href="{{back_url}}">← {{'Back to the results' if back_url != '/' else 'Search the archive'}}</a></p>
<article>
<header class="article-header">
<h1{{!' class="lead-title"' if title_is_lead else ''}}>{{title}}</h1>
<p class="meta">
% if date:
<time datetime="{{date}}">{{date_text}}</time>
% else:
<span>Undated</span>
% end
% if dateline:
· <span>{{dateline}}</span>
% end
% if author:
· <span>{{author}}</span>
% end
</p>
% if places:
<ul class="place-links" aria-label="Places in this article">
% for place in places:
<li><a href="{{place['href']}}">{{place['name']}}</a></li>
% end
</ul>
% end
% if copy_of:
<p class="copy-of">A copy of <a href="{{copy_of['href']}}">{{copy_of['title']}}</a>{{' (' + copy_of['date_text'] + ')' if copy_of['date'] else ''}}.</p>
% end
% if copies:
<details class="copies">
<summary>Printed again in {{len(copies)}} other stor{{'y' if len(copies) == 1 else 'ies'}}</summary>
<ul>
% for story in copies:
<li><a href="{{story['href']}}">{{story['title']}}</a>{{' · ' + story['date_text'] if story['date'] else ''}}</li>
% end
</ul>
</details>
% end
% if q:
<p class="marked-note">Words of your search “{{q}}” are marked.</p>
% end
</header>
% for paragraph in paragraphs:
<p id="{{paragraph['anchor']}}" class="para">{{!paragraph['html']}}</p>
% end
% if source_url:
<p class="source"><a href="{{source_url}}" rel="noopener noreferrer nofollow">The article at its source</a></p>
% end
</article>
% if related:
<aside class="related" aria-labelledby="related-heading">
<h2 id="related-heading">Related stories</h2>
<ol class="hits">
% for story in related:
<li class="hit">
<h3 class="hit-title"><a href="{{story['href']}}"{{!' class="lead-title"' if story['title_is_lead'] else ''}}>{{story['title']}}</a></h3>
<p class="hit-meta">
% if story['date']:
<time datetime="{{story['date']}}">{{story['date_text']}}</time>
% else:
<span>Undated</span>
% end
</p>
% if story['places']:
<ul class="place-links" aria-label="Places in this story">
% for place in story['places']:
<li><a href="{{place['href']}}">{{place['name']}}</a></li>
% end
</ul>
% end
</li>
% end
</ol>
</aside>
% end
</main>
