// Progressive enhancement for the Gatehouse console: copy buttons and the
// live branding preview. Every page works without this file.
'use strict';
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('button.copy[data-copy]').forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = 'Copied';
        setTimeout(function () { button.textContent = 'Copy'; }, 2000);
      });
    });
  });

  var preview = document.getElementById('preview');
  if (preview) {
    var color = document.getElementById('primaryColor');
    var logo = document.getElementById('logoUrl');
    var button = document.getElementById('preview-button');
    var img = document.getElementById('preview-logo');
    var paint = function () {
      // Styles set through the CSSOM are allowed by the page's CSP.
      if (color && /^#[0-9a-fA-F]{6}$/.test(color.value.trim())) {
        button.style.backgroundColor = color.value.trim();
        button.style.color = onColor(color.value.trim());
      }
      if (logo) {
        var url = logo.value.trim();
        if (/^https?:\/\//.test(url)) { img.src = url; img.hidden = false; } else { img.hidden = true; }
      }
    };
    if (color) color.addEventListener('input', paint);
    if (logo) logo.addEventListener('input', paint);
    paint();
  }
});

// onColor picks black or white text, whichever contrasts more with hex.
function onColor(hex) {
  var lum = [1, 3, 5].map(function (i) {
    var c = parseInt(hex.substr(i, 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  });
  var l = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
  return (1.05 / (l + 0.05)) > ((l + 0.05) / 0.05) ? '#ffffff' : '#000000';
}
