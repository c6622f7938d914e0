import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** One instance-wide setting changed by an admin, shared by every instance through the database. */
@Entity({ tableName: 'settings' })
export class Setting {
  @PrimaryKey({ type: 'string', length: 64 })
  name: string;

  @Property({ type: 'string', length: 255 })
  value: string;
}
