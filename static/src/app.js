// Front-end entry point, bundled by static/src/build.mjs into static/build/sm.js
// (one IIFE file, no chunks).
//
// Only the USWDS behaviours the portal uses are included, not the whole
// uswds.js bundle. `@uswds/uswds/js/<package>` resolves (via the package's
// "exports" map) to node_modules/@uswds/uswds/packages/<package>/src/index.js.
// The USWDS character count is left out on purpose: it removes the subject's
// maxlength (we want the browser to stop typing at 50); sm.js counts instead.
// The USWDS file input is left out too: it replaces the input's accessible name
// ("Attachments") with its own drop-zone text. The native input, styled, keeps it.
// The modal is left out: delete asks on its own page, which works without JS.
//
// They are loaded with import() rather than a static import on purpose:
// esbuild inlines them into the same file but evaluates them lazily, and the
// modal module measures the scrollbar with document.body as soon as it is
// evaluated. A static import would crash the whole bundle (our own code
// included) if sm.js were ever loaded in <head> without `defer`.
import { init as initSm } from "./sm.js";

function loadBehaviors() {
  return Promise.all([
    import("@uswds/uswds/js/usa-combo-box"),
  ]);
}

function init() {
  const comboBox = loadBehaviors().then((modules) => {
    modules.forEach((module) => {
      // One component with broken markup (USWDS throws, e.g. a combo box
      // without a <label for>) must not stop the others from initialising.
      try {
        module.default.on(document.body);
      } catch (error) {
        console.error(error);
      }
    });
    return modules[0].default;
  });
  // Synchronously, i.e. before the behaviours above have enhanced anything:
  // sm.js keeps a pristine copy of the care-team <select> to rebuild it.
  initSm({ comboBox });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", init);
} else {
  init();
}
