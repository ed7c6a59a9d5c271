// The "#v8" import under Bare (package.json imports). Bare embeds V8 but offers no way to set its flags once
// running, so lib/heap.ts's run-time flag does nothing here; applyHeapFlags() then returns false (not applied).
exports.setFlagsFromString = function setFlagsFromString () {}
