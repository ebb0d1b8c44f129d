// Front-end entry point, bundled by static/src/build.mjs into static/build/sm.js
// (one IIFE file, no chunks).
//
// Only the USWDS behaviours the portal uses are included, not the whole
// uswds.js bundle. `@uswds/uswds/js/<package>` resolves (via the package's
// "exports" map) to node_modules/@uswds/uswds/packages/<package>/src/index.js.
//
// They are loaded with import() rather than a static import on purpose:
// esbuild inlines them into the same file but evaluates them lazily, and the
// modal module measures the scrollbar with document.body as soon as it is
// evaluated. A static import would crash the whole bundle (our own code
// included) if sm.js were ever loaded in <head> without `defer`.
import "./sm.js";

function loadBehaviors() {
  return Promise.all([
    import("@uswds/uswds/js/usa-combo-box"),
    import("@uswds/uswds/js/usa-character-count"),
    import("@uswds/uswds/js/usa-modal"),
    import("@uswds/uswds/js/usa-file-input"),
  ]);
}

function init() {
  loadBehaviors().then((modules) => {
    modules.forEach((module) => {
      // One component with broken markup (USWDS throws, e.g. a combo box
      // without a <label for>) must not stop the others from initialising.
      try {
        module.default.on(document.body);
      } catch (error) {
        console.error(error);
      }
    });
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", init);
} else {
  init();
}
