// The card form of the operator console's billing page: Stripe.js Elements collects the card, the console
// only ever sees which SetupIntent succeeded. Loaded after Stripe.js (the page's CSP allows its origin).
(function () {
  "use strict";

  function start() {
    var form = document.querySelector("form[data-card-form]");
    if (!form || typeof Stripe === "undefined") return;
    var stripe = Stripe(form.dataset.publishableKey);
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    var message = form.querySelector("[data-card-error]");
    var button = form.querySelector("button[type=submit]");
    var token = form.querySelector("input[name=csrf_token]").value;

    function fail(text) {
      message.textContent = text || form.dataset.genericError;
      message.hidden = false;
      button.disabled = false;
    }

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      button.disabled = true;
      message.hidden = true;
      try {
        var setup = await fetch(form.dataset.setupUrl, {
          method: "POST", headers: {"X-CSRF-Token": token}, credentials: "same-origin",
        });
        if (!setup.ok) return fail();
        var intent = await setup.json();
        var result = await stripe.confirmCardSetup(intent.client_secret, {payment_method: {card: card}});
        if (result.error) return fail(result.error.message);
        var saved = await fetch(form.dataset.saveUrl, {
          method: "POST", credentials: "same-origin",
          headers: {"X-CSRF-Token": token, "Content-Type": "application/json"},
          body: JSON.stringify({setup_id: intent.setup_id}),
        });
        if (!saved.ok) return fail();
        window.location.assign((await saved.json()).redirect);
      } catch (error) {
        fail();
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
