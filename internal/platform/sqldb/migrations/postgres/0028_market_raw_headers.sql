-- A marketplace line's kept cells (market_orders.raw) are stored from this
-- version on as a JSON array of cell values, in the order of its import's
-- raw_headers (the headers of the columns its sheet format maps), instead of
-- an object keyed by header: the headers, most of the bytes of the object
-- (Korean text), are kept once per import rather than once per line. Lines
-- stored before keep their object; the market package reads both.
ALTER TABLE market_imports ADD COLUMN raw_headers TEXT NOT NULL DEFAULT '';
