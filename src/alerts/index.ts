export {
  ALERT_EVENTS,
  ALERT_FORMATS,
  type AlertDestination,
  type AlertEvent,
  type AlertFormat,
  type AlertInput,
  destinationId,
  redactUrl,
  SEVERITY,
  wants,
} from './events.ts';
export { checkLateness, type LatePipeline } from './late.ts';
export { type AlertFacts, alertPayload, enqueueAlert, enqueueRunDigest, type OutboxSettings } from './outbox.ts';
export { deliverDue, drainAlerts, formatAlert, post, type SenderOptions, startSender } from './sender.ts';
