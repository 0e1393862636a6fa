// The demo page's article: title, byline and the server-rendered (sanitised) body of the
// seeded summit article; the comments are the embedded widget.
const slug = document.getElementById('hindsight-thread').dataset.article;
const title = document.getElementById('story-title');

fetch(`/api/v1/articles/${encodeURIComponent(slug)}`, { headers: { accept: 'application/json' } })
  .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
  .then((article) => {
    title.textContent = article.title;
    document.title = `${article.title} — The Hindsight Review`;
    const author = article.author.display_name || article.author.username;
    document.getElementById('story-byline').textContent =
      `${author} · ${new Date(article.published_at).toLocaleDateString(undefined, { dateStyle: 'long' })}`;
    const template = document.createElement('template');
    template.innerHTML = article.body_html;
    document.getElementById('story-body').replaceChildren(template.content);
  })
  .catch(() => {
    title.textContent = 'The demo article is missing: run `hindsight serve --demo` (or `hindsight seed-demo`).';
  })
  .finally(() => document.getElementById('story').removeAttribute('aria-busy'));
