package mysqlsink

// widerText maps the byte-limited text types to the next larger one for copy columns. Copy
// columns are utf8mb4 (the source's character set is not in the column type): a TINYTEXT of
// 255 latin1 characters such as 'é' needs up to 510 bytes in utf8mb4, more than a TINYTEXT
// holds, and the replayer halted on "Data too long" (found by internal/difftest). One size up
// holds four bytes per source byte. CHAR/VARCHAR lengths count characters and need nothing.
var widerText = map[string]string{"tinytext": "text", "text": "mediumtext", "mediumtext": "longtext"}
