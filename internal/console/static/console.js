// Asks before a form whose button carries data-confirm is sent.
document.addEventListener("submit", function (e) {
  var b = e.submitter;
  var msg = (b && b.dataset.confirm) || e.target.dataset.confirm;
  if (msg && !window.confirm(msg)) { e.preventDefault(); }
});
