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
// The rule screen's header table follows the chosen 판매처.
document.addEventListener("change", function (e) {
  if (e.target.id !== "rule-marketplace") { return; }
  document.querySelectorAll("#rule-mapping tbody[data-marketplace]").forEach(function (tb) {
    tb.hidden = tb.dataset.marketplace !== e.target.value;
  });
});
// 배송관리: the header box ticks every row.
document.addEventListener("change", function (e) {
  if (e.target.id !== "tick-all") { return; }
  document.querySelectorAll("#deliveries input.tick").forEach(function (c) { c.checked = e.target.checked; });
});
