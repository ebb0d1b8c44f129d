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
// select[data-sm-team-select][data-sm-teams-for="<station the list is for>"]
// inside div.usa-combo-box; [data-sm-oh-info] alert with [data-sm-oh-system].
// The JSON endpoint answers
// {"careSystem": {"stationNumber", "name", "ehr"}, "teams": [{"id", "name"}]}.
//
// The list is updated in place (the same select and text input): what the
// veteran types while it loads stays and is applied to the new list. While it
// loads the combo box has aria-busy="true"; once it is usable (enhanced, no
// load pending) its wrapper has data-sm-ready and fires "sm:combobox-ready".
function currentSystem(form) {
  const checked = $("input[data-sm-system]:checked", form);
  const field = checked || $("select[data-sm-system], input[type=hidden][name=care_system]", form);
  return field ? field.value : "";
}

function setBusy(wrapper, busy) {
  const input = $(".usa-combo-box__input", wrapper);
  [wrapper, input].forEach((el) => {
    if (!el) return;
    if (busy) el.setAttribute("aria-busy", "true");
    else el.removeAttribute("aria-busy");
  });
  if (busy) delete wrapper.dataset.smReady;
  else markReady(wrapper);
}

function markReady(wrapper) {
  if (!wrapper.dataset.enhanced || wrapper.getAttribute("aria-busy") === "true") return;
  wrapper.dataset.smReady = "true";
  wrapper.dispatchEvent(new CustomEvent("sm:combobox-ready", { bubbles: true }));
}

// Put `teams` in the care-team select, in place. The chosen team is cleared;
// text the veteran typed (not a chosen team's name) is kept and, when they
// are still in the box, applied to the new list.
function replaceTeams(wrapper, teams, comboBox, recentIds = []) {
  const select = $("select", wrapper);
  const input = $(".usa-combo-box__input", wrapper);
  select.replaceChildren(new Option("- Select -", ""));
  appendTeamGroups(select, teams, recentIds);
  select.value = "";
  delete wrapper.dataset.filter;
  if (!input || !comboBox) return;
  if (wrapper.classList.contains("usa-combo-box--pristine")) {
    input.value = ""; // a team of the other system, not something typed
    wrapper.classList.remove("usa-combo-box--pristine");
  }
  if (input.value && document.activeElement === input) {
    // As if typed now: the list shows the matches and the finder ranks them.
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
}

function showOhInfo(form, careSystem) {
  const ohInfo = $("[data-sm-oh-info]", form);
  if (!ohInfo) return;
  const oh = !!careSystem && careSystem.oracleHealth;
  ohInfo.hidden = !oh;
  if (oh) $("[data-sm-oh-system]", ohInfo).textContent = careSystem.name;
}

function initSelectTeam(form, comboBoxReady) {
  const teamSelect = $("select[data-sm-team-select]", form);
  if (!teamSelect) return;
  const wrapper = teamSelect.closest(".usa-combo-box");
  let request = 0; // only the latest response is applied

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

  function loadTeams(station) {
    const mine = ++request;
    teamSelect.dataset.smTeamsFor = station;
    if (!station) {
      comboBoxReady.then((comboBox) => replaceTeams(wrapper, [], comboBox));
      showOhInfo(form, null);
      return;
    }
    setBusy(wrapper, true);
    const url = new URL(form.dataset.teamsUrl, location.href);
    url.searchParams.set("care_system", station);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error(`teams: HTTP ${response.status}`);
        return response.json();
      })
      .then((data) => comboBoxReady.then((comboBox) => [data, comboBox]))
      .then(([data, comboBox]) => {
        if (mine !== request) return;
        replaceTeams(wrapper, data.teams, comboBox, data.recentIds);
        showOhInfo(form, data.careSystem);
        setBusy(wrapper, false);
      })
      .catch((error) => {
        console.warn(error);
        if (mine === request) fallback();
      });
  }

  form.addEventListener("change", (event) => {
    if (!event.target.matches("[data-sm-system]")) return;
    beacon("care-system-changed");
    loadTeams(currentSystem(form));
  });
  // A system chosen before this script ran (or restored by the browser on
  // reload / Back) whose teams the page doesn't list yet.
  const station = currentSystem(form);
  if (station !== (teamSelect.dataset.smTeamsFor || "")) loadTeams(station);
}

// --- 3b. The care-team choice is explicit ------------------------------------
// USWDS falls back to the previously chosen option when the veteran leaves the
// box or presses Enter on text that isn't an option's exact name, and clears
// text that matches nothing. Here: editing the text un-chooses the team (what
// is posted is only ever an option the veteran chose); leaving the box, Enter
// and Escape keep the typed text; Enter chooses only a single exact match.
// The typed text is posted as `care_team_text` so an error page can keep it.
const NOT_CHOSEN_KEYS = ["Enter", "Escape"];

function optionsNamed(select, text) {
  const wanted = text.trim().toLowerCase();
  return [...select.options].filter((option) => option.value && option.text.toLowerCase() === wanted);
}

function keepChoiceExplicit(comboBox, wrapper) {
  const select = $("select", wrapper);
  const input = $(".usa-combo-box__input", wrapper);
  if (!select || !input || input.dataset.smExplicit) return;
  input.dataset.smExplicit = "true";
  input.name = "care_team_text";
  input.addEventListener("input", () => {
    const chosen = select.selectedOptions[0];
    if (select.value && (!chosen || chosen.text !== input.value)) {
      select.value = "";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  // Runs before USWDS's handlers (delegated from <body>) and stops them.
  input.addEventListener("keydown", (event) => {
    if (!NOT_CHOSEN_KEYS.includes(event.key)) return;
    if (event.key === "Enter" && optionsNamed(select, input.value).length === 1) return;
    event.preventDefault();
    event.stopPropagation();
    if (event.key === "Enter" && input.value.trim()) comboBox.displayList(wrapper);
    else comboBox.hideList(wrapper);
  });
  wrapper.addEventListener("focusout", (event) => {
    if (wrapper.contains(event.relatedTarget)) return;
    event.stopPropagation();
    comboBox.hideList(wrapper);
  });
}

// With no care system chosen yet the list is empty: say why, rather than
// "No results found" for a team the veteran has in a system not chosen yet.
function explainEmptyList(wrapper) {
  const list = $(".usa-combo-box__list", wrapper);
  const form = wrapper.closest("form[data-sm-select-team]");
  if (!list || !form || !$("[data-sm-system]", form)) return;
  new MutationObserver(() => {
    const empty = $(".usa-combo-box__list-option--no-results", list);
    if (!empty) return;
    const text = currentSystem(form)
      ? "No care team in this health care system matches. Try another word or a different VA health care system."
      : "Select a VA health care system first. Then you can search its care teams.";
    if (empty.textContent !== text) {
      empty.textContent = text;
      const status = $(".usa-combo-box__status", wrapper);
      if (status) status.textContent = text;
    }
  }).observe(list, { childList: true });
}

// Enhance one combo box and give its text input the select's description
// (hint, error) and error state, which USWDS 3 doesn't carry over; then
// the text the veteran had typed (server-rendered data-sm-typed) and the
// explicit-choice behaviour.
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
  if (!select.value && wrapper.dataset.smTyped && !input.value) input.value = wrapper.dataset.smTyped;
  if (wrapper.getAttribute("aria-busy") === "true") input.setAttribute("aria-busy", "true");
  if (select.matches("[data-sm-team-select]")) {
    keepChoiceExplicit(comboBox, wrapper);
    explainEmptyList(wrapper);
  }
  markReady(wrapper);
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
  // Text carried here that the server couldn't store as a draft yet: unsaved.
  let edits = form.hasAttribute("data-sm-unsaved") ? 1 : 0; // changes since load
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
        rememberThisPage(form);
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

  // 6. Leave warning. Only submitting a form in <main> (Send, Save draft,
  // "Select a different care team", Back, ...) takes the text along; every
  // other way out (header, any link, the browser's own buttons) warns.
  document.addEventListener("submit", (event) => {
    if (!event.defaultPrevented && event.target.closest("main")) leaving = true;
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty() && !leaving) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  // Coming back through the back/forward cache after this page was submitted
  // (e.g. sent): ask the server what the page is now ("This message was
  // sent"), never show the old live form.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && leaving) location.reload();
    leaving = false;
  });
  rememberThisPage(form);
}

// Start message names its own draft (or, before there is one, its team) in
// the address, so a reload or Back shows this tab's page, whatever another
// tab of the session chose meanwhile.
function rememberThisPage(form) {
  const base = form.dataset.smPageUrl;
  if (!base) return;
  const url = new URL(base, location.href);
  const draftId = $("[data-sm-draft-id]", form);
  const team = form.elements.flow_team;
  if (draftId && draftId.value) url.searchParams.set("draft", draftId.value);
  else if (team && team.value) url.searchParams.set("team", team.value);
  else return;
  if (url.href !== location.href) history.replaceState(history.state, "", url);
}

// --- 12. Attachments checked when chosen -------------------------------------
// Hooks: input[type=file][data-sm-files] with data-max-files, data-max-file-bytes,
// data-max-total-bytes, data-kept-files / data-kept-bytes (files the server
// already keeps for this draft), data-error-{type,count,size,total,empty,duplicate}
// (the spec's messages, from the server), and [data-sm-file-list] after it.
// Every choice adds to the files already chosen; a file that breaks a rule is
// left out with its message, the good ones stay. Each chosen file has "Remove".
function fileProblem(file, accepted, rules) {
  const extension = (file.name.split(".").pop() || "").toLowerCase();
  if (!file.size) return rules.errors.empty;
  if (!file.name.includes(".") || !rules.extensions.includes(extension)) return rules.errors.type;
  if (accepted.some((other) => other.name === file.name && other.size === file.size)) return rules.errors.duplicate;
  if (file.size > rules.maxFileBytes) return rules.errors.size;
  if (rules.keptFiles + accepted.length >= rules.maxFiles) return rules.errors.count;
  const total = accepted.reduce((sum, other) => sum + other.size, rules.keptBytes + file.size);
  if (total > rules.maxTotalBytes) return rules.errors.total;
  return "";
}

function fileRules(input) {
  const data = input.dataset;
  return {
    maxFiles: Number(data.maxFiles),
    maxFileBytes: Number(data.maxFileBytes),
    maxTotalBytes: Number(data.maxTotalBytes),
    keptFiles: Number(data.keptFiles || 0),
    keptBytes: Number(data.keptBytes || 0),
    extensions: (input.getAttribute("accept") || "").split(",").map((ext) => ext.replace(/^\./, "").toLowerCase()),
    errors: {
      type: data.errorType,
      count: data.errorCount,
      size: data.errorSize,
      total: data.errorTotal,
      empty: data.errorEmpty,
      duplicate: data.errorDuplicate,
    },
  };
}

function initFiles(input) {
  const list = $("[data-sm-file-list]", input.form || document);
  if (!list || typeof DataTransfer === "undefined") return;
  let chosen = [];
  const errorId = `${input.id}_client_error`;
  const describedBy = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== errorId);

  function render(problems) {
    const transfer = new DataTransfer();
    chosen.forEach((file) => transfer.items.add(file));
    input.files = transfer.files;
    const group = input.closest(".usa-form-group");
    const errors = problems.map(({ file, problem }) => {
      const line = document.createElement("span");
      line.className = "usa-error-message";
      line.textContent = `${file.name}: ${problem}`;
      return line;
    });
    const errorBox = document.createElement("div");
    errorBox.id = errorId;
    errorBox.append(...errors);
    const items = chosen.map((file, index) => {
      const item = document.createElement("li");
      item.className = "sm-file-list__item";
      const name = document.createElement("span");
      name.textContent = file.name;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "usa-button usa-button--unstyled";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove ${file.name}`);
      remove.addEventListener("click", () => {
        chosen = chosen.filter((_, other) => other !== index);
        render([]);
        input.focus();
      });
      item.append(name, " ", remove);
      return item;
    });
    const ul = document.createElement("ul");
    ul.className = "usa-list usa-list--unstyled sm-file-list";
    ul.setAttribute("aria-label", "Files to attach");
    ul.append(...items);
    list.replaceChildren(...(problems.length ? [errorBox] : []), ...(items.length ? [ul] : []));
    if (group) group.classList.toggle("usa-form-group--error", problems.length > 0);
    input.setAttribute("aria-describedby", [...(problems.length ? [errorId] : []), ...describedBy].join(" "));
    input.dispatchEvent(new CustomEvent("sm:files-changed", { bubbles: true }));
  }

  input.addEventListener("change", (event) => {
    const rules = fileRules(input);
    const problems = [];
    [...input.files].forEach((file) => {
      const problem = fileProblem(file, chosen, rules);
      if (problem) problems.push({ file, problem });
      else chosen.push(file);
    });
    render(problems);
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
  const rank = async (input, typed) => {
    const wrapper = input.closest(".usa-combo-box");
    const select = wrapper && $("select", wrapper);
    const system = currentSystem(form);
    const query = input.value.trim();
    // A team was chosen since the veteran typed (the combo box set the input's text): asking
    // now would reopen the list over the page. While the system's teams load, the new list
    // applies the text itself.
    if (input.value !== typed) return;
    if (!select || !system || wrapper.getAttribute("aria-busy") === "true") return;
    if (query.length < 2) {
      delete wrapper.dataset.filter;
      return;
    }
    const mine = ++latest;
    try {
      const params = new URLSearchParams({ care_system: system, query });
      const response = await fetch(`${url}?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok || mine !== latest || input.value.trim() !== query || currentSystem(form) !== system) return;
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

// The select's groups are read each time the list is drawn: a care system's
// teams replace them in place (replaceTeams).
function groupComboList(wrapper) {
  const select = $("select", wrapper);
  const list = $(".usa-combo-box__list", wrapper);
  if (!select || !list || wrapper.dataset.smGrouped) return;
  wrapper.dataset.smGrouped = "1";
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
    if (!select.querySelector("optgroup") || !items.length || items.every((li) => li.dataset.smGroup)) return;
    const recentValues = new Set([...select.querySelectorAll("optgroup:first-of-type option")].map((o) => o.value));
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
    const ordered = [...recent, ...all];
    ordered.forEach((li, index) => li.setAttribute("aria-posinset", index + 1));
    // Move options only when out of order: moving the option that has focus (the
    // keyboard's ArrowDown) would drop the focus and close the list.
    if (ordered.some((li, index) => items[index] !== li)) {
      const focused = document.activeElement;
      ordered.forEach((li) => list.append(li));
      if (ordered.includes(focused)) focused.focus();
    }
  };
  new MutationObserver(arrange).observe(list, { childList: true });
  arrange();
}

// --- 9. The chosen category's whole text under its select (narrow screens) ----
function initCategoryEcho(select) {
  const echo = $("[data-sm-category-echo]", select.form);
  if (!echo) return;
  const show = () => {
    echo.textContent = select.value ? select.selectedOptions[0].text : "";
  };
  select.addEventListener("change", show);
  show(); // a value the browser restored on reload or Back
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
  $$("select[data-sm-category]").forEach(initCategoryEcho);
  $$("[data-sm-signature-for]").forEach(initSignatureToggle);
  $$("input[type=file][data-sm-files]").forEach(initFiles);
  $$("form[data-sm-select-team]").forEach(initFinder);
  initFocus();
}
