# Runs at boot. Everything lives in app; this file stays tiny so that a
# technician can replace it (e.g. to stop at the REPL) without touching logic.
import app

app.main()
