// What the shop reads from its environment beside PORT and VERSION: how much to log
// (LOG_LEVEL) and which database it uses (DATABASE_URL), told without the URL's password.
const LEVELS = ['debug', 'info', 'warn', 'error'];

/** Log lines at `LOG_LEVEL` and above (info when unset); warn and error go to stderr. */
function logger(name, level = process.env.LOG_LEVEL) {
  const wanted = (level || 'info').toLowerCase();
  const known = LEVELS.includes(wanted);
  const threshold = LEVELS.indexOf(known ? wanted : 'info');
  const log = { level: known ? wanted : 'info' };
  LEVELS.forEach((each, rank) => {
    log[each] = (message) => {
      if (rank >= threshold) (rank >= 2 ? console.error : console.log)(`${each} ${name}: ${message}`);
    };
  });
  if (!known) log.warn(`LOG_LEVEL "${String(level).slice(0, 20)}" is not one of ${LEVELS.join(', ')}: logging at info`);
  return log;
}

/** Which database the URL names, for /config and logs: host and name, never the user or password. */
function databaseSummary(url = process.env.DATABASE_URL) {
  if (!url) return { configured: false };
  try {
    const parsed = new URL(url);
    return { configured: true, host: parsed.host || undefined, name: decodeURIComponent(parsed.pathname.slice(1)) || undefined };
  } catch {
    return { configured: true };
  }
}

module.exports = { LEVELS, logger, databaseSummary };
