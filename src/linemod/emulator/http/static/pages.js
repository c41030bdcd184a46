// What the pages need beyond htmx: a chat that stays scrolled to the newest message, forms that
// clear after sending, popovers that close after their request, toasts for refused actions,
// copy buttons, read marks, and pictures that fall back to a label when they cannot load.
(function () {
  "use strict";

  const WORDS = {
    ja: { copied: "コピーしました", offline: "エミュレーターに接続できません" },
    en: { copied: "Copied", offline: "Cannot reach the emulator" },
  };
  const words = WORDS[document.documentElement.lang] || WORDS.ja;
  let stickToBottom = true;

  function chatBox() {
    return document.getElementById("chat-scroll");
  }

  function scrollToEnd() {
    const box = chatBox();
    if (box && stickToBottom) box.scrollTop = box.scrollHeight;
  }

  function markRead() {
    const poller = document.getElementById("poller");
    const upTo = Number((poller && poller.dataset.readUpTo) || 0);
    document.querySelectorAll(".row.mine[data-sender='user']").forEach(function (row) {
      row.classList.toggle("is-read", upTo > 0 && Number(row.dataset.ts) <= upTo);
    });
  }

  let toastTimer = null;
  function toast(text) {
    const box = document.getElementById("toast");
    if (!box || !text) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 4000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    const box = chatBox();
    if (box) {
      box.addEventListener("scroll", function () {
        stickToBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
      });
    }
    scrollToEnd();
    markRead();
  });

  // Pictures arrive after the bubbles: keep the newest message in view while they load.
  document.addEventListener("load", function (event) {
    if (event.target.tagName === "IMG") scrollToEnd();
  }, true);

  document.addEventListener("error", function (event) {
    const img = event.target;
    if (img.tagName !== "IMG") return;
    const holder = img.closest(".media");
    if (holder) holder.classList.add("broken");
    else img.classList.add("broken");
  }, true);

  document.addEventListener("htmx:afterSettle", function () {
    scrollToEnd();
    markRead();
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    const elt = event.detail.elt;
    if (!event.detail.successful || !elt || !elt.closest) return;
    if (elt.matches("form[data-reset]")) {
      elt.reset();
      const field = elt.querySelector("input[type='text']");
      if (field) field.focus();
    }
    const pop = elt.closest("[popover]");
    if (pop && pop.hidePopover) pop.hidePopover();
    if (elt.closest(".phone")) stickToBottom = true;
  });

  document.addEventListener("htmx:responseError", function (event) {
    toast(event.detail.xhr.responseText);
  });

  document.addEventListener("htmx:sendError", function () {
    toast(words.offline);
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const text = button.getAttribute("data-copy");
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text).then(function () { toast(words.copied); }, function () { toast(text); });
    } else {
      toast(text);
    }
  });

  document.addEventListener("change", function (event) {
    const select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.requestSubmit();
  });
})();
