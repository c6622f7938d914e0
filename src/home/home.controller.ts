import { Controller, Get, Render, Req } from '@nestjs/common';
import type { Request } from 'express';

/** The logged-in landing page; the photos module turns it into the gallery. */
@Controller()
export class HomeController {
  @Get()
  @Render('pages/home')
  home(@Req() req: Request) {
    return { title: 'Home', username: req.user?.username };
  }
}
