// Newsbridge desk: the item page's players. A shot of the shot list seeks its player to the shot's
// time and plays; the shot being shown is marked (aria-current) as the player moves.
(function () {
  "use strict";
  function shotsOf(player) {
    return Array.from(document.querySelectorAll('button[data-player="' + player.id + '"]'));
  }
  function mark(player) {
    let now = null;
    const shots = shotsOf(player);
    shots.forEach(function (shot) { if (Number(shot.dataset.seek) <= player.currentTime + 0.05) now = shot; });
    shots.forEach(function (shot) {
      if (shot === now) shot.setAttribute("aria-current", "true"); else shot.removeAttribute("aria-current");
    });
  }
  document.addEventListener("click", function (event) {
    const shot = event.target.closest ? event.target.closest("button[data-seek]") : null;
    if (!shot) return;
    const player = document.getElementById(shot.dataset.player);
    if (!player) return;
    player.currentTime = Number(shot.dataset.seek) || 0;
    mark(player);
    const playing = player.play();
    if (playing && playing.catch) playing.catch(function () { /* autoplay refused: the time is still set */ });
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("video[id], audio[id]").forEach(function (player) {
      if (!shotsOf(player).length) return;
      ["timeupdate", "seeked"].forEach(function (type) {
        player.addEventListener(type, function () { mark(player); });
      });
    });
  });
})();
