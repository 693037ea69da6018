/* Dash 4's option lists, dropdowns and sliders draw ARIA that screen readers (and axe) reject:
   a "listbox" of "options" each wrapping a real radio button or checkbox, a focusable input
   marked aria-hidden in front of each dropdown, a slider thumb and an open dropdown list
   with no name, and a dropdown whose name does not read as the screen shows it. This mends each as
   Dash draws it, and again whenever Dash redraws it (at most once a frame).

   It also moves focus the way a keyboard user expects around long work: a button with
   data-focus-next="<id>" hands focus to that element (its Cancel) when it becomes disabled
   while focused, and takes it back when the run ends. */
(function () {
  "use strict";

  function groupLabel(el) {
    const group = el.closest('[role="group"][aria-labelledby]');
    return group ? group.getAttribute("aria-labelledby") : null;
  }

  function mendLists(root) {
    root.querySelectorAll('.dash-options-list[role="listbox"]').forEach(function (list) {
      list.setAttribute("role", list.classList.contains("dash-radioitems") ? "radiogroup" : "group");
      const label = groupLabel(list);
      if (label && !list.hasAttribute("aria-labelledby")) list.setAttribute("aria-labelledby", label);
    });
    root.querySelectorAll(".dash-options-list-option[role], .dash-options-list-option[aria-selected]").forEach(
      function (option) {
        option.removeAttribute("role");
        option.removeAttribute("aria-selected");
      }
    );
  }

  function mendDropdowns(root) {
    root.querySelectorAll(".dash-dropdown-focus-target:not([inert])").forEach(function (target) {
      target.inert = true; // the button itself takes focus instead
      const button = target.nextElementSibling;
      if (button && button.tagName === "BUTTON") button.tabIndex = button.disabled ? -1 : 0;
    });
    root.querySelectorAll("button.dash-dropdown[aria-labelledby]").forEach(function (button) {
      // named by what it shows (its values, then the count), as a speech-input user reads it
      button.removeAttribute("aria-labelledby");
    });
    root.querySelectorAll('.dash-dropdown-content[role="dialog"]:not([aria-labelledby])').forEach(function (list) {
      const button = document.querySelector('[aria-controls="' + CSS.escape(list.id) + '"]');
      const label = button && groupLabel(button); // the open list is named as its field is
      if (label) list.setAttribute("aria-labelledby", label);
    });
  }

  function mendSliders(root) {
    root.querySelectorAll('[role="slider"]:not([aria-labelledby]):not([aria-label])').forEach(function (thumb) {
      const label = groupLabel(thumb);
      if (label) thumb.setAttribute("aria-labelledby", label);
    });
  }

  function mend() {
    mendLists(document);
    mendDropdowns(document);
    mendSliders(document);
  }

  // Focus around long work: Run -> its Cancel when Run disables, back to Run when it is enabled.
  const handedOver = new Set(); // ids of run buttons whose Cancel was given the focus
  function handOver(button, next, frames) {
    if (!button.disabled) return;
    next.focus();
    if (document.activeElement === next) handedOver.add(button.id);
    else if (frames > 0) requestAnimationFrame(function () { handOver(button, next, frames - 1); });
  }

  function followRuns(records) {
    records.forEach(function (record) {
      const button = record.target;
      if (record.attributeName !== "disabled" || !button.dataset || !button.dataset.focusNext) return;
      const next = document.getElementById(button.dataset.focusNext);
      const active = document.activeElement;
      if (button.disabled && next && (active === button || active === document.body)) {
        handOver(button, next, 60); // Cancel may be shown a frame or two later
      } else if (!button.disabled && handedOver.delete(button.id) && (active === next || active === document.body)) {
        button.focus();
      }
    });
  }

  let pending = false;
  new MutationObserver(function (records) {
    followRuns(records);
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      mend();
    });
  }).observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["role", "aria-selected", "aria-labelledby", "disabled"],
  });
})();
