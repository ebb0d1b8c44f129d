// Our own small enhancements for the "Start a new message" flow. Every page
// works without JavaScript; each module below only adds to the server-rendered
// markup and does nothing when its hooks (data-sm-* attributes) are absent.
//
// Rules (the pages are served with a strict CSP, django-csp): no inline script, no element.style or
// style attributes; show/hide with the `hidden` attribute or classes only.
//
// app.js calls init() once the DOM is parsed, *before* the USWDS behaviours
// run, and passes a promise of the USWDS combo box behaviour.

// 1. `js` class, set as soon as the bundle runs, so CSS can hide the no-JS-only
// controls (`.js .sm-no-js-only { display: none }`).
document.documentElement.classList.add("js");

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

// The flow's own pages: moving between them never warns about unsaved changes.
const FLOW_PATHS = ["/my-health/secure-messages/new-message/", "/my-health/secure-messages/contact-list/"];

const AUTOSAVE_DELAY = 10000; // ms after the last change
const SEND_GUARD = 10000; // ms during which a second submit after Send is ignored
const COUNTER_ANNOUNCE_DELAY = 500; // ms of typing pause before the counter is read out

// --- 7. Interaction beacons -------------------------------------------------
// POSTs {"event", "page"} as JSON to <body data-sm-beacon-url>. Without that
// attribute nothing is sent. Never throws: analytics must not break the page.
function beacon(event) {
  try {
    const url = document.body.dataset.smBeaconUrl;
    if (url) {
      const json = JSON.stringify({ event, page: location.pathname });
      navigator.sendBeacon(url, new Blob([json], { type: "application/json" }));
    }
  } catch (error) {
    // ignore
  }
}

function initBeacons() {
  beacon("page-view");
  document.addEventListener("click", (event) => {
    const el = event.target.closest && event.target.closest("[data-sm-event]");
    if (el) beacon(el.dataset.smEvent);
  });
}

// --- 2. Focus ---------------------------------------------------------------
// Put the screen-reader/keyboard user where the page starts: the first error
// (server-rendered, tabindex=-1) or else the h1 (tabindex=-1). Leaves focus
// alone when the URL targets a fragment (e.g. the skip link's #main-content)
// or when something already has focus.
function initFocus() {
  if (location.hash || (document.activeElement && document.activeElement !== document.body)) return;
  const target = $("[data-sm-error]") || $("[data-sm-focus]") || $('main h1[tabindex="-1"]');
  if (target) target.focus({ preventScroll: false });
}

// --- 4. Subject and message character counters ---------------------------
// Keeps the input's maxlength (the browser stops typing at the limit; the
// USWDS character-count behaviour would remove it, so app.js doesn't load it).
// The visible message updates on every keystroke; screen readers get the same
// text from a visually hidden live region after a short pause in typing.
function initCounter(counter) {
  const input = $("input[maxlength], textarea[maxlength]", counter);
  const message = $("[data-sm-counter-message]", counter);
  if (!input || !message) return;
  const max = Number(input.getAttribute("maxlength"));
  const live = document.createElement("span");
  live.className = "usa-sr-only";
  live.setAttribute("aria-live", "polite");
  message.removeAttribute("aria-live");
  message.after(live);
  let timer;
  const update = () => {
    const left = Math.max(0, max - input.value.length);
    message.textContent = `${left.toLocaleString("en-US")} character${left === 1 ? "" : "s"} left`;
  };
  update(); // also fixes the server's "1 characters left"
  input.addEventListener("input", () => {
    update();
    clearTimeout(timer);
    timer = setTimeout(() => {
      live.textContent = message.textContent;
    }, COUNTER_ANNOUNCE_DELAY);
  });
}

// --- 3. Care system change on "Select care team" ---------------------------
// Hooks: form[data-sm-select-team][data-teams-url]; system control(s)
// [data-sm-system] (radios or a select; none when there is one system);
// select[data-sm-team-select] inside div.usa-combo-box; [data-sm-oh-info]
// alert with [data-sm-oh-system]. The JSON endpoint answers
// {"careSystem": {"stationNumber", "name", "ehr"}, "teams": [{"id", "name"}]}.
function initSelectTeam(form, comboBoxReady) {
  const teamSelect = $("select[data-sm-team-select]", form);
  if (!teamSelect) return;
  // A pristine copy of the server's <select> (attributes only), taken before
  // USWDS enhances it (enhancing moves its id to the new text input).
  const pristine = teamSelect.cloneNode(false);
  const ohInfo = $("[data-sm-oh-info]", form);
  let request = 0; // only the latest response is applied

  // Replace the combo box with a fresh one listing `teams`. USWDS has no
  // "re-initialise": rebuilding the wrapper and calling init() (not on(): the
  // click/keyboard listeners are delegated from document.body already) is the
  // clean way. The chosen team is cleared.
  function showTeams(teams, careSystem, recentIds = []) {
    const select = pristine.cloneNode(false);
    select.add(new Option("- Select -", ""));
    appendTeamGroups(select, teams, recentIds);
    const wrapper = document.createElement("div");
    wrapper.className = "usa-combo-box";
    wrapper.append(select);
    $(".usa-combo-box", form).replaceWith(wrapper);
    comboBoxReady.then((comboBox) => comboBox && enhanceComboBox(comboBox, wrapper));
    if (ohInfo) {
      const oh = !!careSystem && careSystem.oracleHealth;
      ohInfo.hidden = !oh;
      if (oh) $("[data-sm-oh-system]", ohInfo).textContent = careSystem.name;
    }
  }

  // Without a usable answer, let the server re-render the page for the
  // chosen system, exactly as the no-JS "Show care teams" button does.
  function fallback() {
    const action = document.createElement("input");
    action.type = "hidden";
    action.name = "action";
    action.value = "update";
    form.append(action);
    form.submit();
  }

  form.addEventListener("change", (event) => {
    const control = event.target;
    if (!control.matches("[data-sm-system]")) return;
    beacon("care-system-changed");
    const station = control.value;
    const mine = ++request;
    if (!station) {
      showTeams([], null); // "- Select -" chosen again
      return;
    }
    const url = new URL(form.dataset.teamsUrl, location.href);
    url.searchParams.set("care_system", station);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error(`teams: HTTP ${response.status}`);
        return response.json();
      })
      .then((data) => {
        if (mine === request) showTeams(data.teams, data.careSystem, data.recentIds);
      })
      .catch((error) => {
        console.warn(error);
        if (mine === request) fallback();
      });
  });
}

// Enhance one combo box and give its text input the select's description
// (hint, error) and error state, which USWDS 3 doesn't carry over.
function enhanceComboBox(comboBox, wrapper) {
  comboBox.init(wrapper);
  groupComboList(wrapper);
  const select = $("select", wrapper);
  const input = $(".usa-combo-box__input", wrapper);
  if (!select || !input) return;
  ["aria-describedby", "aria-invalid"].forEach((name) => {
    if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
  });
  if (select.classList.contains("usa-input--error")) input.classList.add("usa-input--error");
}

// --- 5, 6, 8, 9. Start message (and legacy compose) form --------------------
// Hooks: form[data-sm-compose] (autosave only with data-autosave="true"),
// fields named category/subject/body (+ recipient on the legacy page),
// #sm-save-status (role=status), [data-sm-draft-note], [data-sm-send].
function initCompose(form) {
  const saveFields = ["category", "subject", "body", "recipient"].filter((name) => form.elements[name]);
  const field = (name) => form.elements[name];
  const files = $('input[type="file"][name="attachments"]', form);
  const signature = $("#id_signature_name", form);
  const note = $("[data-sm-draft-note]");
  let edits = 0; // changes since load
  let savedEdits = 0; // value of `edits` at the last successful autosave
  let saving = false;
  let timer;

  // Attachments and signature are never saved in drafts.
  const unsavable = () => !!((files && files.files.length) || (signature && signature.value.trim()));

  // 6. Leave warning: dirty = changed since load / since the last autosave,
  // or holding something drafts can't keep.
  const dirty = () => edits !== savedEdits || unsavable();
  let leaving = false; // set when the veteran submits a form or moves within the flow

  form.addEventListener("input", onEdit);
  // A text field's "change" only repeats its "input"s, and comes late (on
  // blur, possibly after an autosave): it isn't a new edit.
  form.addEventListener("change", (event) => {
    if (!event.target.matches("textarea, input[type=text], input:not([type])")) onEdit(event);
  });

  function onEdit(event) {
    edits += 1;
    // 8. Draft note: tell the veteran attachments/signature aren't saved.
    if (note) note.hidden = !unsavable();
    // 5. Autosave, debounced, only for the draft's own fields.
    if (form.dataset.autosave === "true" && saveFields.includes(event.target.name)) {
      clearTimeout(timer);
      timer = setTimeout(autosave, AUTOSAVE_DELAY);
    }
  }

  // 5. Autosave: POST only the draft's fields, as the "Save draft" button
  // would, and show the server's status text. Failures stay quiet (the
  // veteran can still save by hand).
  function autosave() {
    if (saving) {
      // One save at a time: try again once this one has finished.
      timer = setTimeout(autosave, AUTOSAVE_DELAY);
      return;
    }
    if (!saveFields.every((name) => field(name).value.trim())) return;
    const data = new FormData();
    ["csrfmiddlewaretoken", "idempotency_key", "draft_id", "flow_team", ...saveFields].forEach((name) => {
      if (field(name)) data.append(name, field(name).value);
    });
    data.append("action", "autosave");
    const snapshot = edits;
    saving = true;
    // Not form.action: the submit buttons named "action" shadow that property.
    fetch(form.getAttribute("action") || location.href, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", Accept: "application/json" },
    })
      .then((response) => {
        if (!response.ok || response.redirected) throw new Error(`autosave: HTTP ${response.status}`);
        return response.json();
      })
      .then((result) => {
        const status = $("#sm-save-status");
        if (status && result.status) status.textContent = result.status;
        // The draft this page edits from now on (a second tab may edit another one).
        const draftId = $("[data-sm-draft-id]", form);
        if (draftId && result.draftId) draftId.value = result.draftId;
        savedEdits = snapshot; // clean, unless something changed meanwhile
      })
      .catch((error) => console.warn(error))
      .then(() => {
        saving = false;
      });
  }

  // 9. Double-submit guard: after Send, ignore further submits for a while
  // (the server is idempotent anyway; this spares a second round trip).
  let sentAt = -Infinity;
  form.addEventListener("submit", (event) => {
    if (Date.now() - sentAt < SEND_GUARD) {
      event.preventDefault();
      return;
    }
    // The page is being submitted (sent, saved, ...): a pending autosave
    // would race it, possibly creating a second draft.
    clearTimeout(timer);
    const button = event.submitter;
    if (button && button.matches("[data-sm-send]")) {
      sentAt = Date.now();
      button.setAttribute("aria-disabled", "true");
      setTimeout(() => button.removeAttribute("aria-disabled"), SEND_GUARD);
    }
  });

  // 6. Leave warning. Submitting a form in <main> (Send, Save draft, "Select
  // a different care team", ...) or following a link in <main> to the flow's
  // own pages doesn't warn; the header (sign out, home) and anything else does.
  document.addEventListener("submit", (event) => {
    if (!event.defaultPrevented && event.target.closest("main")) leaving = true;
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("main a[href]");
    // A modified click opens another tab or window: this page stays.
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    if (link && link.origin === location.origin && FLOW_PATHS.some((path) => link.pathname.startsWith(path))) {
      leaving = true;
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty() && !leaving) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  // Coming back through the back/forward cache: the page is live again.
  window.addEventListener("pageshow", () => {
    leaving = false;
  });
}

// --- 10. Legacy compose: the signature section only for teams that need one ------
// Without JavaScript the section stays visible with a hint saying which teams need it.
function initSignatureToggle(section) {
  const to = $("select[name=recipient]", section.form || document);
  if (!to) return;
  const ids = section.dataset.smSignatureFor.split(" ");
  const update = () => {
    section.hidden = !ids.includes(to.value);
  };
  to.addEventListener("change", update);
  update();
}

// --- 11. Care-team finder while typing -------------------------------------
// The USWDS combo box only matches the typed text inside team names. As the veteran
// types, ask the server's finder (type of care, provider, place, typos) which teams
// match, move them to the top of the list in rank order and let the combo box show
// them besides its own substring matches.
const escapeRegExp = (text) => text.replace(/[-[\]{}()*+?.,\\^$|#\s]/g, "\\$&");

function initFinder(form) {
  const url = form.dataset.searchUrl;
  if (!url) return;
  let timer;
  let latest = 0;
  const currentSystem = () => {
    const checked = $("input[name=care_system]:checked", form);
    const field = checked || $("select[name=care_system], input[type=hidden][name=care_system]", form);
    return field ? field.value : "";
  };
  const rank = async (input, typed) => {
    const wrapper = input.closest(".usa-combo-box");
    const select = wrapper && $("select", wrapper);
    const system = currentSystem();
    const query = input.value.trim();
    // A team was chosen since the veteran typed (the combo box set the input's text): asking
    // now would reopen the list over the page.
    if (input.value !== typed) return;
    if (!select || !system) return;
    if (query.length < 2) {
      delete wrapper.dataset.filter;
      return;
    }
    const mine = ++latest;
    try {
      const params = new URLSearchParams({ care_system: system, query });
      const response = await fetch(`${url}?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok || mine !== latest || input.value.trim() !== query) return;
      const { ids } = await response.json();
      const found = rankInGroups(select, ids);
      const names = [...new Set(found.map((option) => escapeRegExp(option.text)))];
      wrapper.dataset.filter = names.length ? `.*{{query}}.*|${names.join("|")}` : ".*{{query}}.*";
      input.dataset.smRanked = "1";
      input.dispatchEvent(new Event("input", { bubbles: true }));
      delete input.dataset.smRanked;
    } catch (error) {
      console.warn("care-team search failed", error);
    }
  };
  form.addEventListener("input", (event) => {
    const input = event.target;
    if (!input.matches || !input.matches(".usa-combo-box__input") || input.dataset.smRanked) return;
    clearTimeout(timer);
    const typed = input.value;
    timer = setTimeout(() => rank(input, typed), 150);
  });
}

// --- 11. "Recent care teams" / "All care teams" in the care-team list -------
// The select may hold two optgroups (a recent team is in both). The type-ahead
// keeps them: its list shows the recent teams first, each group's first option
// carries the group's name (data-sm-group-start, drawn by CSS) and every option
// is described by its group's name for screen readers.
function appendTeamGroups(select, teams, recentIds) {
  const option = (team) => new Option(team.name, String(team.id));
  if (!recentIds || !recentIds.length) {
    teams.forEach((team) => select.add(option(team)));
    return;
  }
  const byId = new Map(teams.map((team) => [team.id, team]));
  const recent = document.createElement("optgroup");
  recent.label = "Recent care teams";
  recentIds.forEach((id) => byId.has(id) && recent.append(option(byId.get(id))));
  const all = document.createElement("optgroup");
  all.label = "All care teams";
  teams.forEach((team) => all.append(option(team)));
  select.append(recent, all);
}

// Move the finder's matches to the top of each group (of the list when there
// are no groups), best first; return them.
function rankInGroups(select, ids) {
  const groups = [...select.querySelectorAll("optgroup")];
  const found = [];
  (groups.length ? groups : [select]).forEach((container) => {
    const options = [...container.querySelectorAll("option")].filter((o) => o.value);
    const byValue = new Map(options.map((o) => [o.value, o]));
    const matches = ids.map((id) => byValue.get(String(id))).filter(Boolean);
    const anchor = container === select ? select.options[0] : null;
    [...matches].reverse().forEach((o) => (anchor ? anchor.after(o) : container.prepend(o)));
    found.push(...matches);
  });
  return found;
}

function groupComboList(wrapper) {
  const select = $("select", wrapper);
  const list = $(".usa-combo-box__list", wrapper);
  if (!select || !list || !select.querySelector("optgroup") || wrapper.dataset.smGrouped) return;
  wrapper.dataset.smGrouped = "1";
  const recentValues = new Set([...select.querySelectorAll("optgroup:first-of-type option")].map((o) => o.value));
  const labels = {};
  ["Recent care teams", "All care teams"].forEach((text, index) => {
    const span = document.createElement("span");
    span.id = `${list.id}--group-${index}`;
    span.hidden = true;
    span.textContent = text;
    wrapper.append(span);
    labels[text] = span.id;
  });
  const arrange = () => {
    const items = [...list.querySelectorAll("li[role=option]")];
    if (!items.length || items.every((li) => li.dataset.smGroup)) return;
    const seen = new Set();
    const recent = [];
    const all = [];
    items.forEach((li) => {
      // A recent team is listed twice: its first entry is the recent one.
      const isRecent = recentValues.has(li.dataset.value) && !seen.has(li.dataset.value);
      seen.add(li.dataset.value);
      li.dataset.smGroup = isRecent ? "Recent care teams" : "All care teams";
      li.setAttribute("aria-describedby", labels[li.dataset.smGroup]);
      (isRecent ? recent : all).push(li);
    });
    [recent[0], all[0]].forEach((li) => {
      if (!li) return;
      li.dataset.smGroupStart = li.dataset.smGroup;
      li.setAttribute("aria-label", li.textContent); // the heading is not part of its name
    });
    [...recent, ...all].forEach((li, index) => {
      li.setAttribute("aria-posinset", index + 1);
      list.append(li);
    });
  };
  new MutationObserver(arrange).observe(list, { childList: true });
  arrange();
}

export function init({ comboBox }) {
  // comboBox: a promise of the USWDS combo box behaviour (or of undefined).
  const comboBoxReady = Promise.resolve(comboBox).catch(() => undefined);
  initBeacons();
  $$("form[data-sm-select-team]").forEach((form) => initSelectTeam(form, comboBoxReady));
  // Carry each combo box's description over to its input once USWDS is done.
  comboBoxReady.then((behaviour) => {
    if (behaviour) $$(".usa-combo-box[data-enhanced]").forEach((wrapper) => enhanceComboBox(behaviour, wrapper));
  });
  $$("[data-sm-counter]").forEach(initCounter);
  $$("form[data-sm-compose]").forEach(initCompose);
  $$("[data-sm-signature-for]").forEach(initSignatureToggle);
  $$("form[data-sm-select-team]").forEach(initFinder);
  initFocus();
}
