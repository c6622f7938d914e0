'use strict';
// Upload ingest: MB/s through the app's upload request (spool, hash, sniff, read the header, store the original,
// queue its processing) versus MB/s writing the same bytes straight to the same storage with the app's own adapter.
// The app runs ROLE=web here, so its requests have the cores to themselves; the renditions figure runs the jobs after.
const { photos } = require('../lib/images');
const { openStorage, writeStraight } = require('../lib/storage');
const { sampleRss } = require('../lib/rss');
const { uploaders, uploadConcurrently, toBatches } = require('../lib/upload-batches');

async function uploadFigure({ app, setup, plan, log }) {
  const { clients: clientCount, perClient, kind } = plan.upload;
  const files = await photos(kind, clientCount * perClient, 'upload');
  const batches = toBatches(files, clientCount, perClient);
  const clients = await uploaders(app, clientCount, 'uploader');

  const baselineStorage = await openStorage(setup.baselineStorage(app));
  const before = await writeStraight(baselineStorage, batches, 'before');
  log(`  straight to storage: ${before.mbPerSec.toFixed(1)} MB/s`);

  const rss = sampleRss(app);
  const through = await uploadConcurrently(clients, batches);
  const { peakMb } = rss.stop();
  log(`  through the app: ${through.mbPerSec.toFixed(1)} MB/s (${through.seconds.toFixed(1)} s, peak RSS ${peakMb.toFixed(0)} MB)`);

  const after = await writeStraight(baselineStorage, batches, 'after');
  log(`  straight to storage again: ${after.mbPerSec.toFixed(1)} MB/s`);
  const baseline = (before.mbPerSec + after.mbPerSec) / 2;

  return {
    clients, // reused by the thumbnail figure (their photos are real uploads)
    files, // processed by the renditions figure
    result: {
      files: files.length,
      meanFileMb: through.bytes / files.length / 1e6,
      totalMb: through.bytes / 1e6,
      appSeconds: through.seconds,
      appMbPerSec: through.mbPerSec,
      appPhotosPerSec: files.length / through.seconds,
      storageMbPerSec: baseline,
      storageMbPerSecBefore: before.mbPerSec,
      storageMbPerSecAfter: after.mbPerSec,
      ratio: through.mbPerSec / baseline,
      goal: '>= 0.6',
      met: through.mbPerSec / baseline >= 0.6,
      peakRssMb: peakMb,
    },
  };
}

module.exports = { uploadFigure };
