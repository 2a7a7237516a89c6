-- 0007: audit rows are immutable once their event is stored (first write wins). A verdict can
-- reach the audit trail before its event and makes the row from what the violation carries;
-- event_recorded says whether the event's own columns (payload, policy, receive time) are in
-- yet, so the event fills them in exactly once and a re-sent batch never rewrites them.
ALTER TABLE playback_events ADD COLUMN event_recorded boolean NOT NULL DEFAULT true;
-- Rows a verdict made before this migration and whose event has not come yet: the verdict path
-- wrote received_at = occurred_at and empty payload and policy.
UPDATE playback_events SET event_recorded = false
WHERE violated AND received_at = occurred_at AND event_payload = '{}'
  AND policy_snapshot = '{}';
