// Documents page: files dropped on the upload form are put in its file
// input and sent, so drag and drop uses the same form as the button.
(() => {
  'use strict';
  const zone = document.querySelector('[data-dropzone]');
  if (!zone) return;
  const input = zone.querySelector('input[type=file]');
  const over = (on) => (evt) => { evt.preventDefault(); zone.classList.toggle('dragging', on); };
  zone.addEventListener('dragenter', over(true));
  zone.addEventListener('dragover', over(true));
  zone.addEventListener('dragleave', over(false));
  zone.addEventListener('drop', (evt) => {
    over(false)(evt);
    if (!evt.dataTransfer || !evt.dataTransfer.files.length) return;
    input.files = evt.dataTransfer.files;
    zone.requestSubmit();
  });
})();
