'use strict';
// The app's own MikroORM configuration and entities (from dist/), opened from the bench process: used to seed
// photo rows for the gallery figure and to count the SQL queries one gallery page makes.
const { MikroORM } = require('@mikro-orm/core');
const { join } = require('node:path');
const { randomUUID, createHash } = require('node:crypto');
const { ROOT } = require('./app-process');

const dist = (path) => require(join(ROOT, 'dist', 'src', path));

/** database: { driver: 'sqlite', file } or { driver: 'mariadb' | 'mysql', url } — the shape the app's config uses. */
async function openOrm(database, onQuery) {
  const { databaseOptions } = dist('database/database-options');
  const options = databaseOptions({ database });
  return MikroORM.init({
    ...options,
    allowGlobalContext: true,
    debug: onQuery ? ['query'] : false,
    logger: onQuery ? (message) => onQuery(message) : () => undefined,
  });
}

async function ownerIdOf(orm, username) {
  const { User } = dist('users/user.entity');
  const user = await orm.em.fork().findOneOrFail(User, { usernameKey: username.toLowerCase() });
  return user.id;
}

/**
 * Inserts `count` ready photo rows for the owner, newest last, one second apart, in batches. Rows only: the
 * gallery page never reads blobs (thumbnails are separate requests), so no image bytes are needed.
 */
async function seedPhotos(orm, ownerId, count, { batch = 1000, start = Date.UTC(2020, 0, 1) } = {}) {
  const { Photo } = dist('photos/photo.entity');
  for (let done = 0; done < count; done += batch) {
    const rows = [];
    for (let i = done; i < Math.min(count, done + batch); i++) {
      rows.push({
        id: randomUUID(),
        ownerId,
        displayName: `IMG_${String(i).padStart(6, '0')}.jpg`,
        contentType: 'image/jpeg',
        sizeBytes: 3_000_000 + (i % 1000),
        width: 4000,
        height: 3000,
        sha256: createHash('sha256').update(`${ownerId}/${i}`).digest('hex'),
        takenAt: null,
        uploadedAt: new Date(start + i * 1000),
        status: 'ready',
      });
    }
    const em = orm.em.fork();
    await em.transactional((tx) => tx.insertMany(Photo, rows));
  }
}

/** The cursor (`?before=`) of the gallery page that starts `depth` photos from the newest. */
async function cursorAt(orm, ownerId, depth) {
  const { Photo } = dist('photos/photo.entity');
  const { encodeCursor } = dist('photos/gallery-cursor');
  const [photo] = await orm.em
    .fork()
    .find(Photo, { ownerId, status: 'ready' }, { orderBy: { uploadedAt: 'desc', id: 'desc' }, offset: depth - 1, limit: 1 });
  return encodeCursor(photo);
}

/**
 * SQL statements the app's PhotosService.gallery() issues for one page (first and deep), counted through
 * MikroORM's query logger. The request's other statements (session read and touch, user lookup) are outside it.
 */
async function galleryQueryCount(database, ownerId, before) {
  let queries = [];
  const orm = await openOrm(database, (message) => {
    if (/^\[query\]/.test(message)) queries.push(message);
  });
  try {
    const { PhotosService } = dist('photos/photos.service');
    const service = new PhotosService(orm.em.fork(), null);
    await service.gallery(ownerId); // warm-up: metadata, connection
    queries = [];
    const first = await service.gallery(ownerId);
    const firstCount = queries.length;
    queries = [];
    await new PhotosService(orm.em.fork(), null).gallery(ownerId, before);
    return { first: firstCount, deep: queries.length, photosPerPage: first.photos.length, sample: queries[0]?.slice(0, 300) };
  } finally {
    await orm.close();
  }
}

module.exports = { openOrm, ownerIdOf, seedPhotos, cursorAt, galleryQueryCount, dist };
