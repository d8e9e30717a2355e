export { discoverFiles } from './discover.ts';
export { type ListingFacts, type ListingSource, listingFor, plannedListing } from './listing-plan.ts';
export {
  decodeS3Key,
  type EventBody,
  type EventCounts,
  type IgnoredReason,
  ignoredEventsWarner,
  isSnsUrl,
  type ObjectEvent,
  parseEventBody,
  recordEvents,
  storageKey,
} from './object-events.ts';
export { type FileOutsideWindow, filesOutsideWindow } from './outside-window.ts';
export {
  checkQueue,
  configuredQueues,
  messageEvents,
  type QueueAccess,
  type QueueConsumer,
  type QueueConsumerOptions,
  queueRegion,
  startQueueConsumer,
} from './queue-events.ts';
export { type CertificateSource, fetchedCertificates, isSnsMessage, snsSignatureProblem, snsStringToSign } from './sns-signature.ts';
export { type SourceFilter, type SourceSelection, selectsKey, sourceFilter } from './source-filter.ts';
