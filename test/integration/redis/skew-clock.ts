// Preloaded (--import) into a worker to make its clock wrong: Date.now() runs SKEW_MS milliseconds ahead
// (behind, when negative) of the real clock, as on a host whose clock drifted. Timers are untouched.
const skewMs = Number(process.env['SKEW_MS'] ?? 0);
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + skewMs;
