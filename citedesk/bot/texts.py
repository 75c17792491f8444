"""What the bot says that is not an answer."""

REFUSAL = "Sorry, this bot is only open to approved users and chats."
APOLOGY = "Sorry, something went wrong while answering. Please try again."
NON_TEXT_HINT = "I can only read text. Send me a question about the news articles, or /help."
ADMIN_ONLY = "Only the bot's admins can do that."
ASK_HINT = (
    "Ask me a question about the news articles, e.g. "
    "<code>/ask Who is the Kremlin spokesman?</code>"
)

HELP = """<b>How to use me</b>
In a private chat, just send a question. In groups, mention me, reply to me, or use /ask.

/ask QUESTION — ask (works in groups)
/sources — the articles I know
/reset — forget our conversation
/help — this message

Admins: /ingest URL, /remove ID or SOURCE, /feeds, /stats, or send an article as a .txt/.md/.html file or a bare URL."""
