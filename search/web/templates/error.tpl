% rebase('base', page_title=page_title, assets=assets)
<main id="main" class="message-page">
<h1>{{title}}</h1>
<p>{{message}}</p>
% if hint:
<p>{{hint}}</p>
% end
<p><a href="/">Go to the search page</a></p>
</main>
