"""Development tooling (demo traffic for `make run`): a Django app only the local profile
installs; production neither installs the package nor lists the app."""
