'use strict';
/** Samples app.rssMb() every `everyMs` until stop(); returns { peakMb, samples }. */
function sampleRss(app, everyMs = 25) {
  let peak = 0;
  let samples = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, app.rssMb());
      samples++;
    } catch {
      /* process gone */
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { peakMb: peak, samples };
    },
  };
}
module.exports = { sampleRss };
