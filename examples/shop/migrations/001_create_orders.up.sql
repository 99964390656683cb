CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  item text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
