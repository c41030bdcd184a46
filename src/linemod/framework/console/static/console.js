// Forms that ask before they submit: <form data-confirm="Cancel this reservation?">. A script of this origin
// instead of inline onsubmit handlers, which the pages' Content-Security-Policy does not run.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);
