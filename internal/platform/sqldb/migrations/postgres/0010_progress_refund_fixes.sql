-- A learner's study progress per enrollment (hours or sessions, in thousandths, so 7.5 hours is 7500),
-- the corrected 환불일시 of a refund request, and why its SMS was not sent.
ALTER TABLE enrollments ADD COLUMN progress_unit TEXT NOT NULL DEFAULT '' CHECK (progress_unit IN ('', 'hours', 'sessions'));
ALTER TABLE enrollments ADD COLUMN progress BIGINT NOT NULL DEFAULT 0 CHECK (progress >= 0);
ALTER TABLE enrollments ADD COLUMN progress_at TIMESTAMPTZ;
ALTER TABLE refunds ADD COLUMN refund_at TIMESTAMPTZ;
ALTER TABLE refunds ADD COLUMN sms_note TEXT NOT NULL DEFAULT '';
