-- The form field holding the Application (client) ID is named for what it holds.
ALTER TABLE configuration RENAME COLUMN smtp_user TO client_id;

-- The history keeps each test's authentication type and failing step by their stable
-- keys; before, it kept the page's label and the Rust name of the step.
UPDATE test_history SET auth_type = 'microsoft_oauth2' WHERE auth_type = 'Microsoft (OAuth2)';
UPDATE test_history SET auth_type = 'password' WHERE auth_type = 'Username and password';
UPDATE test_history SET step = CASE step
    WHEN 'Inputs' THEN 'inputs'
    WHEN 'TokenRequest' THEN 'token_request'
    WHEN 'TokenInspection' THEN 'token_inspection'
    WHEN 'Connect' THEN 'connect'
    WHEN 'StartTls' THEN 'start_tls'
    WHEN 'Capabilities' THEN 'capabilities'
    WHEN 'Authenticate' THEN 'authenticate'
    WHEN 'Envelope' THEN 'envelope'
    WHEN 'Data' THEN 'data'
    ELSE step
END
WHERE step IS NOT NULL;
