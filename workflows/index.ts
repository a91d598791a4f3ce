export { ticketWorkflow } from './ticket';
export { emailOutboxSweepWorkflow } from './email-outbox-sweep';
