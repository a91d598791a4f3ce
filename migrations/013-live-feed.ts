import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * The live feed: one row, with one global, increasing id, for every timeline event the
 * projection writes. ticket_events is keyed by (ticket, seq), which orders a ticket but not
 * the whole system; server-sent events need a single cursor (Last-Event-ID) to resume from.
 * A trigger fills it inside the projection's own transaction, so a feed row exists exactly
 * when its event (and the ticket row it reflects) is committed, and the projection code
 * does not change. An INSERT IGNORE'd duplicate event inserts nothing and fires nothing.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('live_feed', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true, allowNull: false },
    ticket_number: { type: DataTypes.INTEGER, allowNull: false },
    seq: { type: DataTypes.INTEGER, allowNull: false },
    visibility: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'public' },
  });
  const insert = "INSERT INTO live_feed (ticket_number, seq, visibility) VALUES (NEW.ticket_number, NEW.seq, COALESCE(NEW.visibility, 'public'))";
  if (qi.sequelize.getDialect() === 'sqlite') {
    await qi.sequelize.query(`CREATE TRIGGER ticket_events_live_feed AFTER INSERT ON ticket_events BEGIN ${insert}; END`);
  } else {
    await qi.sequelize.query(`CREATE TRIGGER ticket_events_live_feed AFTER INSERT ON ticket_events FOR EACH ROW ${insert}`);
  }
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query('DROP TRIGGER IF EXISTS ticket_events_live_feed');
  await qi.dropTable('live_feed');
}
