export { ticketWorkflow } from './ticket';
export { emailOutboxSweepWorkflow } from './email-outbox-sweep';
export { emailDeliveryWorkflow } from './email-delivery';
export { calendarFanOutWorkflow, openTicketsFanOutWorkflow } from './fan-out';
export { attachmentRetentionWorkflow } from './attachment-retention';
export { oncallPageWorkflow } from './oncall-page';
export { personDeactivationWorkflow } from './person-deactivation';
