// Our own small enhancements: autosave, leave warning, focus, beacons. (added by the flow issue)
export {};
