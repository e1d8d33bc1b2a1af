// Small conveniences only: every page works without JavaScript.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A page that follows something still going on (a running integration run) reloads itself;
// without JavaScript it has a Refresh link instead.
const refresh = document.querySelector("[data-refresh]");
if (refresh) {
  window.setTimeout(() => window.location.reload(), 1000 * Number(refresh.dataset.refresh || 3));
}
