'use strict';
// The gallery's baseline: a bare Nest app (same Nest, Express and hbs as the app) with one route that renders a
// constant template — the captured bytes of a real gallery page — so it costs rendering and sending a page of the
// same size, and nothing else (no session, no database, no guards).
// Usage: node constant-page-server.js <port> <html-file>   (the template is written beside the html file)
require('reflect-metadata');
const { Controller, Get, Module, Res } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const hbs = require('hbs');
const { readFileSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const [port, htmlFile] = process.argv.slice(2);

class PageController {
  page(res) {
    res.render('constant');
  }
}
// Decorators applied by hand: this file is plain JavaScript.
Controller()(PageController);
Get()(PageController.prototype, 'page', Object.getOwnPropertyDescriptor(PageController.prototype, 'page'));
Res()(PageController.prototype, 'page', 0);

class ConstantPageModule {}
Module({ controllers: [PageController] })(ConstantPageModule);

async function main() {
  const views = dirname(htmlFile);
  // `\{{` keeps Handlebars from reading anything in the page as an expression.
  writeFileSync(join(views, 'constant.hbs'), readFileSync(htmlFile, 'utf8').replace(/\{\{/g, '\\{{'));
  const app = await NestFactory.create(ConstantPageModule, { logger: false, bodyParser: false });
  const engine = hbs.create();
  app.engine('hbs', engine.__express);
  app.setBaseViewsDir(views);
  app.setViewEngine('hbs');
  app.set('view cache', true); // as the app does in every environment
  await app.listen(Number(port), '127.0.0.1');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
