-- A project key may carry a default data class for gateway calls that name none (clients such as
-- Cursor can set neither a body field nor a header). NULL: no default of its own.
ALTER TABLE tokens ADD COLUMN default_data_class text
    CHECK (default_data_class IN ('public', 'internal', 'confidential', 'restricted'));
