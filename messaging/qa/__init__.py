"""The QA tools (qa.md): scenarios, test veterans, one-time sign-in links and per-test-veteran
overrides, for QA testers in staging and end-to-end suites. Off in production."""
