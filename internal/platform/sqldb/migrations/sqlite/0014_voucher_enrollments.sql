-- 근로자카드주문: an enrollment cancelled on its own (수강취소 without money)
-- keeps when and why; the list reads government-refundable course items and
-- their enrollments by status.
ALTER TABLE enrollments ADD COLUMN cancelled_at TIMESTAMP;
ALTER TABLE enrollments ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX order_items_voucher ON order_items (gov_refundable, kind, order_id);
CREATE INDEX enrollments_status ON enrollments (status, order_item_id);
