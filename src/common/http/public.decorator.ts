import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';

/** Opts a route out of the global login requirement; everything else needs a logged-in user. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
