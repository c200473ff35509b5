// Asks before a form whose button carries data-confirm is sent.
document.addEventListener("submit", function (e) {
  var b = e.submitter;
  var msg = (b && b.dataset.confirm) || e.target.dataset.confirm;
  if (msg && !window.confirm(msg)) { e.preventDefault(); }
});
// A button with data-print prints the page (주문출력).
document.addEventListener("click", function (e) {
  if (e.target.matches("[data-print]")) { window.print(); }
});
