// Import page: the passphrase field shows once the chosen file may be a
// Confidant bundle (anything but a .json or .zip export). Without
// JavaScript it always shows.
(() => {
  'use strict';
  const input = document.querySelector('[data-import-file]');
  const field = document.querySelector('[data-import-passphrase]');
  if (!input || !field) return;
  const update = () => {
    const f = input.files && input.files[0];
    field.hidden = !f || /\.(json|zip)$/i.test(f.name);
  };
  input.addEventListener('change', update);
  update();
})();
