// Tell the server the browser's time zone (a cookie), so pages can show local times,
// and show a first-time visitor's page again in their zone.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) {
    return;
  }
  var cookieName = "lcoo_browser_tz";
  var current = document.cookie.split("; ").find(function (c) {
    return c.indexOf(cookieName + "=") === 0;
  });
  var known = current ? decodeURIComponent(current.split("=")[1]) : "";
  if (known !== zone) {
    // Zone names hold only letters, digits, "/", "_", "+" and "-": safe in a cookie as they are.
    document.cookie = cookieName + "=" + zone +
      "; path=/; max-age=31536000; samesite=lax" +
      (location.protocol === "https:" ? "; secure" : "");
  }
  var form = document.querySelector(".tz-switch");
  if (!form) {
    return;
  }
  // First visit: the server could not know the zone yet. Show the page again, once.
  if (form.dataset.viewerTzSource === "default" && zone !== "UTC" && known !== zone) {
    location.reload();
    return;
  }
})();
