// Newsbridge desk: the item page's players. A shot of the shot list seeks its player to the shot's
// time and plays; the shot being shown is marked while the video plays.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const shot = event.target.closest ? event.target.closest("button[data-seek]") : null;
    if (!shot) return;
    const player = document.getElementById(shot.dataset.player);
    if (!player) return;
    player.currentTime = Number(shot.dataset.seek) || 0;
    const playing = player.play();
    if (playing && playing.catch) playing.catch(function () { /* autoplay refused: the time is still set */ });
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("video[id], audio[id]").forEach(function (player) {
      const shots = Array.from(document.querySelectorAll('button[data-player="' + player.id + '"]'));
      if (!shots.length) return;
      player.addEventListener("timeupdate", function () {
        let now = null;
        shots.forEach(function (shot) { if (Number(shot.dataset.seek) <= player.currentTime + 0.05) now = shot; });
        shots.forEach(function (shot) {
          if (shot === now) shot.setAttribute("aria-current", "true"); else shot.removeAttribute("aria-current");
        });
      });
    });
  });
})();
