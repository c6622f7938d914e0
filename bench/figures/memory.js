'use strict';
// Memory flat in file size: peak RSS (VmHWM) of a freshly started app for concurrent batches of small files, then
// (after a restart, so each peak is its own) the same batches with files ten times larger.
const { photos } = require('../lib/images');
const { uploaders, uploadConcurrently, toBatches } = require('../lib/upload-batches');
const { sampleRss } = require('../lib/rss');

async function memoryFigure({ setup, plan, log }) {
  const { clients: clientCount, perClient, small, large } = plan.memory;
  const runs = {};
  for (const kind of [small, large]) {
    const files = await photos(kind, clientCount * perClient, `memory-${kind}`);
    const app = await setup.startApp();
    try {
      const clients = await uploaders(app, clientCount, 'mem');
      const idleMb = app.rssMb();
      const hwmBeforeMb = app.peakRssMb(); // registration and login (argon2, 64 MiB each) leave their own peak
      const rss = sampleRss(app);
      const through = await uploadConcurrently(clients, toBatches(files, clientCount, perClient));
      const sampled = rss.stop();
      const peakMb = app.peakRssMb();
      runs[kind] = {
        meanFileMb: through.bytes / files.length / 1e6,
        idleRssMb: idleMb,
        hwmBeforeUploadMb: hwmBeforeMb,
        peakRssMb: peakMb,
        sampledPeakDuringUploadMb: sampled.peakMb,
        mbPerSec: through.mbPerSec,
      };
      log(
        `  ${kind}: idle ${idleMb.toFixed(0)} MB, VmHWM ${peakMb.toFixed(0)} MB (before upload ${hwmBeforeMb.toFixed(0)}), ${through.mbPerSec.toFixed(1)} MB/s`,
      );
    } finally {
      await app.stop();
    }
  }
  const difference = runs[large].peakRssMb - runs[small].peakRssMb;
  return {
    small: runs[small],
    large: runs[large],
    differenceMb: difference,
    ratio: runs[large].peakRssMb / runs[small].peakRssMb,
    goal: 'difference < 100 MB',
    met: difference < 100,
  };
}

module.exports = { memoryFigure };
